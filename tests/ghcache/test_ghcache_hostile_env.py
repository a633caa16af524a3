"""Hostile or odd environments: one clear line from the shim, and gh still answers.

A cache another user could write to (or a symlink planted in it) would let them make us replay
anything, so it is refused; bad values, misspelt settings and a missing GH_CACHE_REAL_GH are named
in one line; a reader that goes away and an output too large to keep behave as they would with gh.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import pytest
from ghrig import GhRig
from support import REAL_GH, ROOT

READ = ("api", "repos/octo/hello")


_DIRECT: dict[str, bytes] = {}  # what gh alone prints, once per rig (its request is counted before the test's)


def _answers(rig: GhRig, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    if str(rig.home) not in _DIRECT:
        _DIRECT[str(rig.home)] = rig.run(*READ, shim=False).stdout
    done = rig.run(*READ, extra=extra)
    assert done.returncode == 0 and done.stdout == _DIRECT[str(rig.home)], done.stderr
    return done


def _one_line(stderr: bytes, *words: str) -> None:
    lines = [line for line in stderr.decode().splitlines() if line.startswith("ghcache:")]
    assert len(lines) == 1 and all(word in lines[0] for word in words), stderr


@pytest.mark.parametrize(
    "name,value,words",
    [
        ("GH_CACHE", "banana", ("GH_CACHE='banana'", "cache bypassed")),
        ("GH_CACHE_TTL_API", "inf", ("GH_CACHE_TTL_API",)),
        ("GH_CACHE_TTL_API", "nan", ("GH_CACHE_TTL_API",)),
        ("GH_CACHE_TTL_REPOSITORY", "1e300", ("too large",)),
        ("GH_CACHE_MAX_SIZE", "1e300", ("too large",)),
        ("GH_CACHE_MAX_STALE", "-5", ("negative",)),
        ("GH_CACHE_DIR", "relative/cache", ("not an absolute path",)),
    ],
)
def test_bad_values_are_one_line_and_gh_answers(rig: GhRig, name: str, value: str, words: tuple[str, ...]) -> None:
    _one_line(_answers(rig, {name: value}).stderr, *words)


def test_a_tilde_cache_dir_is_the_home_directory(rig: GhRig) -> None:
    extra = {"GH_CACHE_DIR": "~/tilde-cache"}
    _answers(rig, extra)
    rig.hub.clear_requests()
    assert _answers(rig, extra).stderr == b"" and rig.calls() == 0
    assert (Path(rig.env["HOME"]) / "tilde-cache" / "entries").is_dir()


def test_a_misspelt_setting_is_pointed_out_once(rig: GhRig) -> None:
    first = _answers(rig, {"GH_CACHE_TTL_ISSUE": "5m"})
    _one_line(first.stderr, "GH_CACHE_TTL_ISSUE", "did you mean GH_CACHE_TTL_ISSUES")
    assert _answers(rig, {"GH_CACHE_TTL_ISSUE": "5m"}).stderr == b""


def test_a_missing_real_gh_setting_falls_back_to_path(rig: GhRig) -> None:
    _one_line(_answers(rig, {"GH_CACHE_REAL_GH": "/nonexistent/gh"}).stderr, "GH_CACHE_REAL_GH", "not an executable")


def _refused(rig: GhRig) -> None:
    rig.hub.clear_requests()
    for _ in range(2):
        _one_line(_answers(rig).stderr, "cache unavailable")
    assert rig.calls() == 2  # never answered from the planted cache


def test_a_group_writable_cache_dir_is_refused(rig: GhRig) -> None:
    _answers(rig)
    os.chmod(rig.cache_dir, 0o770)
    _refused(rig)


def test_a_group_writable_shard_dir_is_refused(rig: GhRig) -> None:
    _answers(rig)
    [shard] = (rig.cache_dir / "entries").iterdir()
    os.chmod(shard, 0o777)
    _refused(rig)


def test_a_symlink_planted_for_the_entries_is_refused(rig: GhRig, tmp_path: Path) -> None:
    _answers(rig)
    planted = tmp_path / "planted"
    (rig.cache_dir / "entries").rename(planted)
    (rig.cache_dir / "entries").symlink_to(planted)
    _refused(rig)


def test_a_symlinked_stats_log_is_never_written_through(rig: GhRig, tmp_path: Path) -> None:
    _answers(rig)
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    (rig.cache_dir / "stats.log").unlink()
    (rig.cache_dir / "stats.log").symlink_to(victim)
    _answers(rig)
    assert victim.read_bytes() == b"precious\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the cache to another user")
def test_a_cache_owned_by_another_user_is_refused(rig: GhRig) -> None:
    """What a second user left in (or made of) our cache dir is never replayed."""
    _answers(rig)
    nobody = pwd.getpwnam("nobody")
    for path in [rig.cache_dir, *rig.cache_dir.rglob("*")]:
        os.lchown(path, nobody.pw_uid, nobody.pw_gid)
    _refused(rig)


def test_a_reader_closing_the_pipe_stops_gh_as_it_would_stop_gh_alone(rig: GhRig) -> None:
    for number in range(60):  # far more output than a pipe holds, so every writer meets the closed end
        rig.hub.state.add_issue("octo/hello", f"long issue {number}", "x" * 20_000, "octocat")
    args = ["api", "--paginate", "repos/octo/hello/issues?per_page=100&state=all"]
    script = 'set +e; "$@" | head -c 1 >/dev/null; echo "${PIPESTATUS[0]}"'

    def status(program: str) -> str:
        done = subprocess.run(
            ["bash", "-c", script, "-", program, *args], env=rig.env, cwd=rig.home, capture_output=True, timeout=120
        )
        return done.stdout.decode().strip()

    expected = status(REAL_GH)
    assert expected == "141"  # SIGPIPE
    assert status(str(ROOT / "shims" / "gh")) == expected  # a miss
    assert status(str(ROOT / "shims" / "gh")) == expected  # a hit


def test_an_output_too_large_to_keep_is_streamed_not_stored(rig: GhRig) -> None:
    small = {"GH_CACHE_MAX_SIZE": "8K"}  # outputs above 4 KiB are never kept
    args = ("api", "repos/octo/hello/issues?per_page=100&state=all")
    direct = rig.run(*args, shim=False)
    assert len(direct.stdout) > 8 * 1024
    for _ in range(2):
        rig.hub.clear_requests()
        done = rig.run(*args, extra=small)
        assert done.stdout == direct.stdout and rig.calls() == 1
    assert not list((rig.cache_dir / "entries").rglob("*.entry"))


def test_every_setting_the_project_reads_is_known_to_the_misspelling_check() -> None:
    """A GH_CACHE_* name read anywhere (shim, daemon, launchers, action) must never be called a misspelling."""
    import re

    from support import ROOT

    from ghcache.config import KNOWN, KNOWN_PREFIXES

    sources = [*ROOT.glob("ghcache/**/*.py"), *ROOT.glob("shims/*"), *ROOT.glob("action/*"), ROOT / "action.yml"]
    names = {
        name
        for path in sources
        if path.is_file()
        for name in re.findall(r"GH_CACHE_[A-Z0-9_]*[A-Z0-9]", path.read_text())
    }
    stems = (*KNOWN, *KNOWN_PREFIXES)  # "GH_CACHE_TTL" in code that builds GH_CACHE_TTL_<CLASS>
    unknown = {
        name
        for name in names
        if name not in KNOWN
        and not name.startswith(KNOWN_PREFIXES)
        and not any(s.startswith(name + "_") for s in stems)
    }
    assert names and not unknown, sorted(unknown)
