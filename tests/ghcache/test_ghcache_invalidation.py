"""Invalidation by the write's real target, through the shim: write, then the read shows the new state.

Every kind of write (a gh command with -R before or after the subcommand, a URL argument, `gh api`
REST, a GraphQL mutation, a pass-through write the policy cannot be sure of, a write with the cache
off) against every kind of read (one repo's, and reads that name no single repo: search, `gh api
search/...`, GraphQL queries). A shim killed during a write forwards the signal and still records it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fakehub import FakeHub
from ghrig import GhRig, rig_env
from support import ROOT

REPO = ("-R", "octo/hello")
TITLE = "Fresh from a write"


def _issue_titles(rig: GhRig, *args: str) -> bytes:
    done = rig.run(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


READS = {
    "issue list": ("issue", "list", *REPO, "--json", "title", "--limit", "100"),
    "repo view (counts)": ("api", "repos/octo/hello", "--jq", ".open_issues_count"),
    "search issues": ("search", "issues", "--repo", "octo/hello", "Fresh", "--json", "title"),
    "api search": ("api", "-X", "GET", "search/issues", "-f", "q=repo:octo/hello Fresh", "--jq", ".items[].title"),
    "graphql query": (
        "api",
        "graphql",
        "-f",
        'query={ repository(owner: "octo", name: "hello") { issues(first: 100) { nodes { title } } } }',
    ),
}


def _writes(rig: GhRig, tmp_path: Path) -> dict[str, tuple[str, ...]]:
    body = tmp_path / "issue.json"
    body.write_text(json.dumps({"title": TITLE}))
    return {
        "gh issue create -R": ("issue", "create", *REPO, "-t", TITLE, "-b", "b"),
        "gh issue -R before the verb": ("issue", "-R", "octo/hello", "create", "-t", TITLE, "-b", "b"),
        "gh api POST": ("api", "repos/octo/hello/issues", "-f", f"title={TITLE}"),
        "gh api --input (pass-through)": ("api", "repos/octo/hello/issues", "--input", str(body)),
    }


@pytest.mark.parametrize(
    "write", ["gh issue create -R", "gh issue -R before the verb", "gh api POST", "gh api --input (pass-through)"]
)
@pytest.mark.parametrize("read", sorted(READS))
def test_a_write_makes_the_read_show_the_new_state(rig: GhRig, tmp_path: Path, write: str, read: str) -> None:
    before = _issue_titles(rig, *READS[read])
    assert rig.run(*_writes(rig, tmp_path)[write]).returncode == 0
    rig.hub.clear_requests()
    after = _issue_titles(rig, *READS[read])
    assert rig.calls() >= 1, "the read was answered from the cache after a write"
    assert after != before


def test_a_url_argument_names_the_repo_a_write_acts_on(tmp_path: Path, zipapps: Path) -> None:
    """`gh issue close URL` acts on the URL's repo, not on GH_REPO's (plain mode: gh drops a URL's port)."""
    with FakeHub(mode="plain") as hub:
        home = tmp_path / "home"
        home.mkdir()
        rig = GhRig(hub, home, rig_env(hub, home, tmp_path / "cache"))
        view = ("issue", "view", "2", *REPO, "--json", "state")
        assert b"OPEN" in _issue_titles(rig, *view)
        url = f"https://{hub.host}/octo/hello/issues/2"
        closed = rig.run("issue", "close", url, extra={"GH_REPO": "octo/secret"})
        assert closed.returncode == 0, closed.stderr
        assert b"CLOSED" in _issue_titles(rig, *view)


def test_a_write_with_the_cache_off_still_invalidates(rig: GhRig, tmp_path: Path) -> None:
    before = _issue_titles(rig, *READS["issue list"])
    assert rig.run(*_writes(rig, tmp_path)["gh api POST"], extra={"GH_CACHE": "0"}).returncode == 0
    assert _issue_titles(rig, *READS["issue list"]) != before


def test_a_write_to_one_repo_leaves_another_repos_reads_cached(rig: GhRig, tmp_path: Path) -> None:
    rig.run("api", "repos/octo/secret")
    assert rig.run(*_writes(rig, tmp_path)["gh issue create -R"]).returncode == 0
    rig.hub.clear_requests()
    rig.run("api", "repos/octo/secret")
    assert rig.calls() == 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_shim_killed_during_a_write_forwards_the_signal_and_records_it(
    rig: GhRig, tmp_path: Path, signum: int
) -> None:
    before = _issue_titles(rig, *READS["issue list"])
    rig.hub.set_latency(60_000)  # the write hangs in gh until the signal comes
    shim = subprocess.Popen(
        [str(ROOT / "shims" / "gh"), *_writes(rig, tmp_path)["gh api POST"]],
        env=rig.env,
        cwd=rig.home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marks = rig.cache_dir / "invalidations"
    deadline = time.monotonic() + 60
    while not (marks.is_dir() and any(marks.iterdir()) and _children(shim.pid)):
        assert time.monotonic() < deadline and shim.poll() is None, "the write never started"
        time.sleep(0.02)
    [gh] = _children(shim.pid)
    first = {path.name: path.stat().st_ino for path in marks.iterdir()}
    os.kill(shim.pid, signum)
    assert shim.wait(timeout=60) == 128 + signum
    assert not Path(f"/proc/{gh}").exists() or "zombie" in Path(f"/proc/{gh}/status").read_text()
    assert {path.name: path.stat().st_ino for path in marks.iterdir()} != first, "not recorded after gh ended"
    rig.hub.set_latency(0)
    rig.hub.clear_requests()
    _issue_titles(rig, *READS["issue list"])
    assert rig.calls() >= 1 and before
