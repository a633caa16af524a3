"""The shim in front of the real gh, against fakehub: hits, misses, expiry, writes, failures."""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ghrig import GhRig
from support import REAL_PYTHON

REPO = ("-R", "octo/hello")
READS = [
    ("issue", "list", *REPO),
    ("pr", "list", *REPO),
    ("repo", "view", "octo/hello"),
    ("release", "list", *REPO),
    ("run", "list", *REPO),
    ("api", "repos/octo/hello"),
    ("api", "graphql", "-f", "query={viewer{login}}"),
]


@pytest.mark.parametrize("args", READS, ids=lambda args: " ".join(args[:2]))
def test_miss_then_hit_is_byte_identical_with_no_upstream_call(rig: GhRig, args: tuple[str, ...]) -> None:
    direct = rig.run(*args, shim=False)
    assert direct.returncode == 0, direct.stderr
    rig.hub.clear_requests()
    miss = rig.run(*args)
    upstream = rig.calls()
    assert upstream >= 1
    rig.hub.clear_requests()
    hit = rig.run(*args)
    assert rig.calls() == 0
    for result in (miss, hit):
        assert (result.stdout, result.stderr, result.returncode) == (direct.stdout, direct.stderr, 0)


def test_one_run_of_gh_per_miss(rig: GhRig) -> None:
    rig.run("api", "repos/octo/hello")
    assert rig.calls() == 1
    assert rig.run("api", "repos/octo/hello").returncode == 0
    assert rig.calls() == 1


def test_ttl_expiry_refetches(rig: GhRig) -> None:
    start = 1_900_000_000
    rig.run("api", "repos/octo/hello/issues", extra={"GH_CACHE_NOW": str(start)})
    rig.run("api", "repos/octo/hello/issues", extra={"GH_CACHE_NOW": str(start + 119)})
    assert rig.calls() == 1  # issues class: 120 s
    rig.run("api", "repos/octo/hello/issues", extra={"GH_CACHE_NOW": str(start + 121)})
    assert rig.calls() == 2


def test_ttl_is_overridable_per_class(rig: GhRig) -> None:
    start = 1_900_000_000
    ttl = {"GH_CACHE_TTL_REPOSITORY": "10s"}
    rig.run("api", "repos/octo/hello", extra={"GH_CACHE_NOW": str(start), **ttl})
    rig.run("api", "repos/octo/hello", extra={"GH_CACHE_NOW": str(start + 11), **ttl})
    assert rig.calls() == 2


def test_write_invalidates_reads_of_the_same_kind(rig: GhRig) -> None:
    before = rig.run("issue", "list", *REPO)
    created = rig.run("issue", "create", *REPO, "-t", "Fresh from a write", "-b", "body")
    assert created.returncode == 0, created.stderr
    rig.hub.clear_requests()
    after = rig.run("issue", "list", *REPO)
    assert rig.calls() >= 1
    assert b"Fresh from a write" in after.stdout and b"Fresh from a write" not in before.stdout


def test_write_makes_every_read_of_its_repo_stale_and_leaves_other_repos_cached(rig: GhRig) -> None:
    """An issue changes more than issue lists (the repo's open issue count): every read of the repo goes."""
    before = rig.run("api", "repos/octo/hello", "--jq", ".open_issues_count")
    rig.run("api", "repos/octo/secret")
    assert rig.run("issue", "create", *REPO, "-t", "t", "-b", "b").returncode == 0
    rig.hub.clear_requests()
    after = rig.run("api", "repos/octo/hello", "--jq", ".open_issues_count")
    assert rig.calls() == 1 and int(after.stdout) == int(before.stdout) + 1
    rig.hub.clear_requests()
    rig.run("api", "repos/octo/secret")
    assert rig.calls() == 0


def test_writes_and_unknown_commands_always_reach_github(rig: GhRig) -> None:
    for _ in range(2):
        assert rig.run("api", "-X", "POST", "repos/octo/hello/issues", "-f", "title=x").returncode == 0
    assert rig.hub.upstream_count("/repos/octo/hello/issues") == 2
    rig.hub.clear_requests()
    for _ in range(2):
        rig.run("api", "rate_limit")
    assert rig.calls() == 2


def test_sixteen_parallel_identical_misses_run_gh_once(rig: GhRig) -> None:
    rig.hub.set_latency(300)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: rig.run("api", "repos/octo/hello"), range(16)))
    assert {result.returncode for result in results} == {0}
    assert len({result.stdout for result in results}) == 1
    assert rig.calls() == 1


def test_failures_pass_through_unchanged_and_are_not_cached(rig: GhRig) -> None:
    args = ("issue", "view", "99999", *REPO)
    direct = rig.run(*args, shim=False)
    assert direct.returncode != 0
    rig.hub.clear_requests()
    first, second = rig.run(*args), rig.run(*args)
    for result in (first, second):
        assert (result.stdout, result.stderr, result.returncode) == (direct.stdout, direct.stderr, direct.returncode)
    assert rig.calls() >= 2  # each call went upstream


def test_stale_entry_is_served_when_github_is_down(rig: GhRig) -> None:
    start = 1_900_000_000
    fresh = rig.run("api", "repos/octo/hello/issues", extra={"GH_CACHE_NOW": str(start)})
    rig.hub.set_outage(503)
    later = {"GH_CACHE_NOW": str(start + 600)}
    stale = rig.run("api", "repos/octo/hello/issues", extra=later)
    assert stale.returncode == 0 and stale.stdout == fresh.stdout
    assert b"ghcache: served a cached result from 600s ago" in stale.stderr
    too_old = rig.run("api", "repos/octo/hello/issues", extra={**later, "GH_CACHE_MAX_STALE": "5m"})
    assert too_old.returncode != 0 and b"503" in too_old.stderr


def test_rate_limit_also_falls_back_to_stale(rig: GhRig) -> None:
    start = 1_900_000_000
    rig.run("api", "repos/octo/hello/pulls", extra={"GH_CACHE_NOW": str(start)})
    rig.hub.set_rate_limited("primary")
    result = rig.run("api", "repos/octo/hello/pulls", extra={"GH_CACHE_NOW": str(start + 300)})
    assert result.returncode == 0 and b"served a cached result" in result.stderr


def test_bypass_and_refresh(rig: GhRig) -> None:
    rig.run("api", "repos/octo/hello")
    rig.run("api", "repos/octo/hello", extra={"GH_CACHE": "0"})
    assert rig.calls() == 2
    rig.run("api", "repos/octo/hello", extra={"GH_CACHE_REFRESH": "1"})
    assert rig.calls() == 3
    rig.run("api", "repos/octo/hello")
    assert rig.calls() == 3


def test_identities_do_not_share_entries(rig: GhRig) -> None:
    other = "ghp_" + "b" * 36
    rig.hub.add_user("mallory", other)
    assert rig.run("api", "repos/octo/secret").returncode == 0
    as_other = rig.run("api", "repos/octo/secret", extra={"GH_ENTERPRISE_TOKEN": other})
    assert as_other.returncode != 0 and b"Not Found" in as_other.stderr + as_other.stdout


def test_token_never_written_under_the_cache_dir(rig: GhRig) -> None:
    token = rig.env["GH_ENTERPRISE_TOKEN"]
    for args in READS:
        rig.run(*args)
    rig.run("issue", "create", *REPO, "-t", "t", "-b", "b")
    rig.run("api", "repos/octo/hello", extra={"GH_CACHE_NOW": str(time.time() + 10**6)})
    files = [os.path.join(base, name) for base, _, names in os.walk(rig.cache_dir) for name in names]
    assert len(files) > len(READS)
    for path in files:
        with open(path, "rb") as handle:
            assert token.encode() not in handle.read(), path


def test_cache_files_are_private(rig: GhRig) -> None:
    rig.run("api", "repos/octo/hello")
    entries = [os.path.join(base, name) for base, _, names in os.walk(rig.cache_dir / "entries") for name in names]
    assert entries and all(os.stat(path).st_mode & 0o077 == 0 for path in entries)
    assert os.stat(rig.cache_dir / "entries").st_mode & 0o077 == 0


def test_stats_count_hits_misses_and_saved_calls(rig: GhRig, zipapps: Path) -> None:
    for _ in range(3):
        rig.run("api", "repos/octo/hello")
    out = subprocess.run(
        [REAL_PYTHON, str(zipapps / "ghcache.pyz"), "stats", "--json"], env=rig.env, capture_output=True, check=True
    ).stdout
    report = json.loads(out)
    assert report["hits"]["local"] == 2 and report["upstream_runs"] == 1 and report["upstream_calls_saved"] == 2
    assert report["entries"] == 1 and abs(report["hit_rate"] - 2 / 3) < 0.01
