"""Issue text is data: shell metacharacters, backticks and `${{ }}` in a report are never executed."""

from __future__ import annotations

import json

import pytest
from triage_world import REPO, World

from autoheal.report import REPORT_MARKER
from autoheal.triage.cli import triage


def hostile(world: World) -> str:
    root = world.root
    return f"$(touch {root}/pwned-1)`touch {root}/pwned-2`;touch {root}/pwned-3|${{{{ github.token }}}}"


@pytest.mark.parametrize("world", ["missing_env", "unknown"], indirect=True)
def test_hostile_report_text_is_never_executed(world: World, monkeypatch) -> None:
    """missing_env re-runs the script with the hostile argv (verification); unknown puts it in its analysis."""
    monkeypatch.setenv("AUTOHEAL_COPILOT", "1")
    payload = hostile(world)
    number = world.crash(payload, "--name=${{ secrets.X }}", f"`touch {world.root}/pwned-4`")
    issue = world.hub.state.get_repo(REPO).issues[number]
    assert payload in issue.body.replace("\\u0060", "`").replace('\\"', '"')

    assert triage(issue=number, workdir=str(world.ci)) == 0

    assert not list(world.root.rglob("pwned-*"))
    if world.sample == "missing_env":  # the verification did run the script with those arguments
        [pull] = [i for i in world.hub.state.get_repo(REPO).issues.values() if i.pull and "Fixes #" in i.body]
        assert "**verified**" in pull.body and "pwned-4" in pull.body
    posted = [c.body for c in issue.comments] + [i.body for i in world.hub.state.get_repo(REPO).issues.values()]
    assert world.hub.default_token not in "\n".join(posted)


@pytest.mark.parametrize("world", ["unknown"], indirect=True)
def test_malformed_fingerprint_never_reaches_git(world: World, capsys) -> None:
    number = world.crash()
    issue = world.hub.state.get_repo(REPO).issues[number]
    head, _, block = issue.body.partition(REPORT_MARKER)
    fence = block.strip().split("\n", 1)[0]
    data = json.loads(block.strip()[len(fence) : -3])
    data["fingerprint"] = f"--upload-pack=touch {world.root}/pwned-5"
    issue.body = f"{head}{REPORT_MARKER}\n{fence}\n{json.dumps(data)}\n```\n"
    branches = world.remote_branches()

    assert triage(issue=number, workdir=str(world.ci)) == 1

    err = capsys.readouterr().err  # the parser refuses a block whose fingerprint is not the body's marker
    assert "malformed fingerprint" in err or "carries no autoheal report" in err
    assert world.remote_branches() == branches and not list(world.root.rglob("pwned-*"))
