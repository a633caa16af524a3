"""Fixtures for the triage tests: a running fakehub and a world per sample."""

from __future__ import annotations

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
