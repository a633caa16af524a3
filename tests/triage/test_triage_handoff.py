"""No known fix: one analysis comment, then Copilot (as GitHub documents the REST request) or a human."""

from __future__ import annotations

import pytest
from triage_world import REPO, World, git

from autoheal.triage.cli import triage
from autoheal.triage.github import COPILOT

ANALYSIS = "<!-- autoheal:triage analysis"


def analyses(world: World, number: int) -> list[str]:
    return [c.body for c in world.hub.state.get_repo(REPO).issues[number].comments if ANALYSIS in c.body]


def older_duplicate(world: World, number: int) -> int:
    """A closed earlier issue on the same crash, as a repo that once had it would hold."""
    issue = world.hub.state.get_repo(REPO).issues[number]
    return world.hub.state.add_issue(REPO, issue.title, body=issue.body, state="closed").number


@pytest.mark.parametrize("world", ["unknown"], indirect=True)
def test_unknown_crash_gets_analysis_and_copilot_assignment(world: World, monkeypatch) -> None:
    monkeypatch.setenv("AUTOHEAL_COPILOT", "1")
    number = world.crash()
    past = older_duplicate(world, number)

    assert triage(issue=number, workdir=str(world.ci)) == 0

    issue = world.hub.state.get_repo(REPO).issues[number]
    [body] = analyses(world, number)
    assert "ZeroDivisionError: division by zero" in body and "**Suspected cause**: a divisor was zero" in body
    assert "`__main__.average`" in body and "`__main__.main`" in body
    assert f"- #{past} (closed): same fingerprint" in body
    assert "Assigned to the Copilot coding agent." in body
    [assignment] = issue.agent_assignments
    assert set(assignment) == {"assignees", "target_repo", "base_branch", "custom_instructions"}
    assert (assignment["assignees"], assignment["target_repo"], assignment["base_branch"]) == ([COPILOT], REPO, "main")
    assert f"issue #{number}" in assignment["custom_instructions"]
    assert "ZeroDivisionError: division by zero" in assignment["custom_instructions"]
    assert COPILOT in issue.assignees and "needs-triage" not in issue.labels

    assert triage(issue=number, workdir=str(world.ci)) == 0
    assert len(analyses(world, number)) == 1 and len(issue.agent_assignments) == 1


@pytest.mark.parametrize("world", ["unknown"], indirect=True)
def test_without_copilot_the_issue_is_labelled_for_a_human(world: World) -> None:
    number = world.crash()
    assert triage(issue=number, workdir=str(world.ci)) == 0
    issue = world.hub.state.get_repo(REPO).issues[number]
    assert "needs-triage" in issue.labels and not issue.agent_assignments
    [body] = analyses(world, number)
    assert "set `AUTOHEAL_COPILOT=1`" in body


@pytest.mark.parametrize("world", ["unknown"], indirect=True)
def test_refused_copilot_assignment_falls_back_to_needs_triage_and_says_why(world: World, monkeypatch) -> None:
    monkeypatch.setenv("AUTOHEAL_COPILOT", "1")
    monkeypatch.setenv("AUTOHEAL_COPILOT_TOKEN", "not-a-user-token")
    number = world.crash()
    assert triage(issue=number, workdir=str(world.ci)) == 0
    issue = world.hub.state.get_repo(REPO).issues[number]
    assert "needs-triage" in issue.labels and not issue.agent_assignments
    [body] = analyses(world, number)
    assert "the Copilot assignment failed: the assignment was refused (GitHub answered 401" in body
    assert "not-a-user-token" not in body


def autoheal_pulls(world: World) -> list:
    return [
        i for i in world.hub.state.get_repo(REPO).issues.values() if i.pull and i.pull.head_ref.startswith("autoheal/")
    ]


@pytest.mark.parametrize("world", ["missing_module"], indirect=True)
def test_unverifiable_fix_is_an_analysis_never_a_pull_request(world: World, monkeypatch) -> None:
    """The dependency cannot be installed here (no wheel offline): no PR, and the analysis says why."""
    monkeypatch.setenv("PIP_FIND_LINKS", str(world.root / "no-wheels"))
    number = world.crash()
    branches = world.remote_branches()
    assert triage(issue=number, workdir=str(world.ci)) == 0
    assert not autoheal_pulls(world) and world.remote_branches() == branches
    [body] = analyses(world, number)
    assert "Pattern `missing-module` proposed: Declare the PyYAML dependency" in body
    assert "PyYAML could not be installed" in body


@pytest.mark.parametrize("world", ["missing_env"], indirect=True)
def test_fix_that_fails_verification_is_not_proposed(world: World) -> None:
    """Upstream already sets a default: the recorded crash no longer happens, so the patch proves nothing."""
    number = world.crash()
    app = world.user / "app.py"
    app.write_text(app.read_text().replace("import os\n", "import os\n\nos.environ.setdefault('SERVICE_URL', 'x')\n"))
    git(world.user, "commit", "--quiet", "-am", "default service URL")
    git(world.user, "push", "--quiet", "origin", "main")
    assert triage(issue=number, workdir=str(world.ci)) == 0
    assert not autoheal_pulls(world)
    [body] = analyses(world, number)
    assert "Pattern `missing-env-var` proposed" in body
    assert "**failed**: before the patch the reported failure did not happen" in body
