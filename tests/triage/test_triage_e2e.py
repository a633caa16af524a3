"""End to end per pattern: a sample crashes under the hook, autoheal files the issue on fakehub, triage
turns it into a verified commit on a pushed branch and a draft PR; a second run changes nothing."""

from __future__ import annotations

import pytest
from triage_world import REPO, World, git

from autoheal.triage.cli import triage

EXPECTED = {  # sample -> (pattern, file the fix edits, what the fixed line or file now says)
    "missing_module": ("missing-module", "pyproject.toml", 'dependencies = ["PyYAML>=0.0.0"]'),
    "missing_env": ("missing-env-var", "app.py", '_require_env("SERVICE_URL")'),
    "connection_refused": (
        "connection-refused",
        "app.py",
        '_retry_connection(lambda: socket.create_connection(("127.0.0.1", port), timeout=5))',
    ),
    "missing_output_dir": ("missing-output-dir", "app.py", 'os.makedirs(os.path.dirname(path) or ".", exist_ok=True)'),
}


def autoheal_pulls(world: World) -> list:
    return [
        i for i in world.hub.state.get_repo(REPO).issues.values() if i.pull and i.pull.head_ref.startswith("autoheal/")
    ]


def writes(world: World) -> list[dict]:
    return [r for r in world.hub.requests() if r["method"] != "GET"]


@pytest.mark.parametrize("world", list(EXPECTED), indirect=True)
def test_crash_becomes_verified_draft_pr_and_rerun_changes_nothing(world: World) -> None:
    pattern, path, fixed = EXPECTED[world.sample]
    number = world.crash()
    fingerprint = world.hub.state.get_repo(REPO).issues[number].body.split("fingerprint=")[1][:12]

    assert triage(issue=number, workdir=str(world.ci)) == 0

    [pull] = autoheal_pulls(world)
    branch = f"autoheal/{fingerprint}"
    assert (pull.pull.head_ref, pull.pull.base_ref, pull.pull.draft) == (branch, "main", True)
    assert f"Fixes #{number}" in pull.body and f"pattern `{pattern}`" in pull.body
    assert "**verified**" in pull.body and "before: `python app.py` exited 1" in pull.body
    assert fixed in git(world.remote, "show", f"{branch}:{path}")
    assert git(world.remote, "diff", "--name-only", "main", branch) == path
    comments = world.hub.state.get_repo(REPO).issues[number].comments
    assert [c.body for c in comments if f"pull request #{pull.number}" in c.body]

    branches, posted = world.remote_branches(), len(writes(world))
    assert triage(issue=number, workdir=str(world.ci)) == 0
    assert world.remote_branches() == branches
    assert len(writes(world)) == posted
    assert len(autoheal_pulls(world)) == 1


@pytest.mark.parametrize("world", ["missing_env"], indirect=True)
def test_pr_targets_the_default_branch_reported_by_github(world: World, tmp_path) -> None:
    """The repository's default branch comes from GET /repos/O/R, not a hard-coded main."""
    git(world.remote, "branch", "-m", "main", "trunk")
    world.hub.state.get_repo(REPO).default_branch = "trunk"
    number = world.crash()
    assert triage(issue=number, workdir=str(world.ci)) == 0
    [pull] = autoheal_pulls(world)
    assert pull.pull.base_ref == "trunk"
