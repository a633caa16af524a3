"""Torn, corrupt and truncated entries, a full disk, a tiny size cap, and a shim that must not recurse."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from ghrig import GhRig
from support import REAL_PYTHON, ROOT

from ghcache.entry import Entry
from ghcache.tiers.local import LocalStore


def _entry_files(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "entries").rglob("*.entry"))


def test_corrupt_entry_is_a_miss_never_served(rig: GhRig) -> None:
    good = rig.run("api", "repos/octo/hello")
    [path] = _entry_files(rig.cache_dir)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # one flipped bit in the stored stdout
    path.write_bytes(bytes(data))
    rig.hub.clear_requests()
    again = rig.run("api", "repos/octo/hello")
    assert rig.calls() == 1 and again.stdout == good.stdout


def test_truncated_entries_are_misses(rig: GhRig) -> None:
    good = rig.run("api", "repos/octo/hello")
    [path] = _entry_files(rig.cache_dir)
    whole = path.read_bytes()
    for cut in (0, 10, 60, len(whole) // 2, len(whole) - 1):
        path.write_bytes(whole[:cut])
        rig.hub.clear_requests()
        result = rig.run("api", "repos/octo/hello")
        assert rig.calls() == 1, cut
        assert result.stdout == good.stdout


_STALLED_WRITER = """
import sys, time
from ghcache import fastos
from ghcache.entry import Entry
from ghcache.tiers.local import LocalStore
real_write = fastos.write
def write_part_then_stall(fd, data):
    written = real_write(fd, bytes(data[: len(data) // 2]))
    print("half written", flush=True)
    time.sleep(3600)  # killed here, between the first and the second half
    return written
fastos.write = write_part_then_stall
LocalStore(sys.argv[1]).put(sys.argv[2], Entry(b"x" * (4 * 1024 * 1024), b"", 0, 0.0, 1e12))
"""


def test_writer_killed_mid_write_leaves_nothing_servable(rig: GhRig, tmp_path: Path) -> None:
    """kill -9 a process while it writes a large entry over an existing one: readers see the old or nothing."""
    good = rig.run("api", "repos/octo/hello")
    [path] = _entry_files(rig.cache_dir)
    key = path.name.removesuffix(".entry")
    writer = subprocess.Popen(
        [sys.executable, "-c", _STALLED_WRITER, str(rig.cache_dir), key], cwd=ROOT, stdout=subprocess.PIPE
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == b"half written\n"  # a condition, however busy the machine is
    temps = [item for item in path.parent.iterdir() if item.name.endswith(".tmp")]
    assert len(temps) == 1 and 0 < temps[0].stat().st_size < 4 * 1024 * 1024  # a torn temp file beside the entry
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert Entry.from_bytes(path.read_bytes()).stdout == good.stdout  # old entry intact
    rig.hub.clear_requests()
    assert rig.run("api", "repos/octo/hello").stdout == good.stdout
    assert rig.calls() == 0
    store = LocalStore(str(rig.cache_dir))
    assert store.remove_temp_files(older_than=time.time() + 1) == 1


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))  # nothing larger than 64 bytes can be written


def test_full_disk_still_answers_by_passing_through(rig: GhRig) -> None:
    direct = rig.run("api", "repos/octo/hello", shim=False)
    for _ in range(2):
        result = rig.run("api", "repos/octo/hello", preexec_fn=_limit_file_size)
        assert (result.stdout, result.stderr, result.returncode) == (direct.stdout, direct.stderr, 0)
    assert not _entry_files(rig.cache_dir)


def test_unwritable_cache_dir_still_answers(rig: GhRig, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    result = rig.run("api", "repos/octo/hello", extra={"GH_CACHE_DIR": str(blocker / "cache")})
    assert result.returncode == 0 and b"octo/hello" in result.stdout


def test_size_cap_evicts_least_recently_used(rig: GhRig) -> None:
    paths = [f"repos/octo/hello/issues/{number}" for number in range(1, 6)]
    rig.run("api", paths[0])
    [first] = _entry_files(rig.cache_dir)
    cap = first.stat().st_size * 3 + 100
    extra = {"GH_CACHE_MAX_SIZE": str(cap)}
    for path in paths[1:]:
        rig.run("api", path, extra=extra)
        rig.run("api", paths[1], extra=extra)  # keep #2 recently used
    sizes = [path.stat().st_size for path in _entry_files(rig.cache_dir)]
    assert sum(sizes) <= cap and 2 <= len(sizes) < len(paths)
    rig.hub.clear_requests()
    rig.run("api", paths[1], extra=extra)
    rig.run("api", paths[4], extra=extra)
    assert rig.calls() == 0  # the most recently used survived
    rig.run("api", paths[0], extra=extra)
    assert rig.calls() == 1  # the least recently used did not


def test_bad_setting_is_one_line_and_gh_still_runs(rig: GhRig) -> None:
    result = rig.run("api", "repos/octo/hello", extra={"GH_CACHE_MAX_SIZE": "lots"})
    assert result.returncode == 0 and b"octo/hello" in result.stdout
    assert result.stderr.decode().splitlines() == [
        "ghcache: GH_CACHE_MAX_SIZE='lots' is not a size (examples: 1048576, 500M, 2G); cache bypassed"
    ]


def test_shim_never_takes_itself_for_the_real_gh(rig: GhRig, tmp_path: Path) -> None:
    twice = tmp_path / "again"
    twice.mkdir()
    (twice / "gh").symlink_to(ROOT / "shims" / "gh")
    env_path = os.pathsep.join([str(ROOT / "shims"), str(twice), rig.env["PATH"]])
    assert rig.run("api", "repos/octo/hello", extra={"PATH": env_path}).returncode == 0
    looped = rig.run("--version", extra={"GH_CACHE_REAL_GH": str(ROOT / "shims" / "gh")})
    assert looped.returncode == 0 and b"is a ghcache shim, not gh; running" in looped.stderr
    only_shims = rig.run("--version", extra={"PATH": str(ROOT / "shims")})
    assert only_shims.returncode in (127,)  # no python3 or no gh: either way a clean, immediate failure


def test_explain_says_why(rig: GhRig, zipapps: Path) -> None:
    def explain(*args: str) -> str:
        return subprocess.run(
            [REAL_PYTHON, str(zipapps / "ghcache.pyz"), "explain", "--", *args],
            env=rig.env,
            capture_output=True,
            check=True,
            text=True,
        ).stdout

    assert "cached       no: not in the local cache" in explain("api", "repos/octo/hello")
    rig.run("api", "repos/octo/hello")
    text = explain("api", "repos/octo/hello")
    assert "data class   repository (TTL 1h;" in text and "cached       yes" in text
    assert rig.env["GH_ENTERPRISE_TOKEN"] not in text
    assert "decision     write" in explain("issue", "create", "-t", "x")
    assert "decision     pass" in explain("pr", "view", "1", "--web")


def _cli(zipapps: Path, rig: GhRig, *args: str) -> str:
    return subprocess.run(
        [REAL_PYTHON, str(zipapps / "ghcache.pyz"), *args], env=rig.env, capture_output=True, check=True, text=True
    ).stdout


def test_prune_removes_what_can_never_be_served_and_clear_removes_all(rig: GhRig, zipapps: Path) -> None:
    start = 1_900_000_000
    rig.run("api", "repos/octo/hello/issues", extra={"GH_CACHE_NOW": str(start)})  # 120 s TTL
    rig.run("api", "repos/octo/hello", extra={"GH_CACHE_NOW": str(start)})  # 1 h TTL
    leftover = rig.cache_dir / "entries" / "ab" / ".abandoned.123.tmp"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half")
    os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    later = {**rig.env, "GH_CACHE_NOW": str(start + 600), "GH_CACHE_MAX_STALE": "60"}
    out = subprocess.run(
        [REAL_PYTHON, str(zipapps / "ghcache.pyz"), "prune"], env=later, capture_output=True, check=True, text=True
    ).stdout
    assert out.strip() == "pruned 2 files"  # the expired issues entry and the torn temp file
    assert len(_entry_files(rig.cache_dir)) == 1 and not leftover.exists()
    assert "hits" in _cli(zipapps, rig, "stats", "--json")
    _cli(zipapps, rig, "clear")
    assert not _entry_files(rig.cache_dir)
    rig.hub.clear_requests()
    rig.run("api", "repos/octo/hello")
    assert rig.calls() == 1
