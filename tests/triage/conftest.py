"""Fixtures for the triage tests: a running fakehub and a world per sample."""

from __future__ import annotations

import os

import pytest
from fakehub import FakeHub
from triage_world import World, make_world


@pytest.fixture
def hub():
    with FakeHub(mode="plain") as running:
        yield running


@pytest.fixture
def world(hub, tmp_path, monkeypatch, request) -> World:
    """`@pytest.mark.parametrize("world", [sample], indirect=True)` picks the sample."""
    made = make_world(hub, tmp_path, request.param)
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    for name in ("GH_TOKEN", "AUTOHEAL_COPILOT", "AUTOHEAL_COPILOT_TOKEN", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    return made


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "corpus: the triage corpus (AUTOHEAL_TRIAGE_CORPUS=full|rest)")


def pytest_collection_modifyitems(config, items) -> None:
    """The default suite runs the corpus's fast cases; AUTOHEAL_TRIAGE_CORPUS=rest (`make test-triage-corpus`,
    which `make test` runs after the suite) the others, =full all of them."""
    which = os.environ.get("AUTOHEAL_TRIAGE_CORPUS", "fast")
    if which == "full":
        return
    from corpus import CASES

    fast = {c.name for c in CASES if c.fast}
    if which == "rest":
        keep = [i for i in items if "corpus" in i.keywords and i.callspec.id not in fast]
    else:
        keep = [i for i in items if "corpus" not in i.keywords or i.callspec.id in fast]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
