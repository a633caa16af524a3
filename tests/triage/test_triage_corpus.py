"""The corpus end to end: each project crashes under the hook, autoheal files the issue on fakehub, triage
runs; a case that expects a PR gets exactly one verified draft PR editing only the expected file, and every
other case gets an analysis and no PR and no pushed branch. The default suite runs the `fast` cases;
`make test-triage-corpus` (part of `make test`) runs them all."""

from __future__ import annotations

import pytest
from corpus import CASES, Case, fetch_wheels, make_case_world
from triage_world import REPO, World, git

from autoheal.triage.cli import triage

ANALYSIS = "<!-- autoheal:triage analysis"


@pytest.fixture(scope="session")
def corpus_wheels(tmp_path_factory):
    return fetch_wheels(tmp_path_factory.mktemp("corpus-wheels"))


@pytest.fixture
def case_world(hub, tmp_path, monkeypatch, request, corpus_wheels) -> World:
    made = make_case_world(hub, tmp_path, request.param, corpus_wheels)
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    for name in ("GH_TOKEN", "AUTOHEAL_COPILOT", "AUTOHEAL_COPILOT_TOKEN", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    return made


def outcome(world: World, number: int) -> tuple[list, list[str]]:
    """(autoheal pull requests, analysis comments) for the issue."""
    repo = world.hub.state.get_repo(REPO)
    pulls = [i for i in repo.issues.values() if i.pull and i.pull.head_ref.startswith("autoheal/")]
    return pulls, [c.body for c in repo.issues[number].comments if ANALYSIS in c.body]


@pytest.mark.corpus
@pytest.mark.parametrize("case_world", CASES, indirect=True, ids=[c.name for c in CASES])
def test_corpus_case(case_world: World, request) -> None:
    case: Case = request.node.callspec.params["case_world"]
    number = case_world.crash()

    assert triage(issue=number, workdir=str(case_world.ci)) == 0

    pulls, analyses = outcome(case_world, number)
    if case.expect == "pr":
        assert len(pulls) == 1, analyses
        [pull] = pulls
        branch = pull.pull.head_ref
        assert pull.pull.draft and "**verified**" in pull.body and f"Fixes #{number}" in pull.body
        assert git(case_world.remote, "diff", "--name-only", "main", branch) == case.path
        assert case.contains.rstrip("\n") in git(case_world.remote, "show", f"{branch}:{case.path}")  # git() strips
    else:
        assert not pulls, pulls[0].body if pulls else ""
        assert list(case_world.remote_branches()) == ["main"]
        [body] = analyses
        assert case.contains in body, body


PIP_CASE = next(c for c in CASES if c.name == "pep621-pinned")


@pytest.mark.corpus  # slow (pip builds a setuptools project twice): runs with the rest of the corpus
@pytest.mark.parametrize("case_world", [PIP_CASE], indirect=True, ids=["pip"])
def test_without_uv_pip_installs_and_verifies_the_same_way(case_world: World, monkeypatch) -> None:
    """uv is optional: with pip alone the same project is installed, verified and fixed."""
    monkeypatch.setattr("autoheal.triage.project._uv", lambda: None)
    number = case_world.crash()
    assert triage(issue=number, workdir=str(case_world.ci)) == 0
    [pull], _ = outcome(case_world, number)
    assert "**verified**" in pull.body
    assert PIP_CASE.contains in git(case_world.remote, "show", f"{pull.pull.head_ref}:{PIP_CASE.path}")
