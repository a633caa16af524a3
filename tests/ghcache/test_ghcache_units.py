"""Pure pieces: the entry format, key inputs, git context, settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from ghcache import config, gitctx, keys, policy
from ghcache.entry import CorruptEntry, Entry, pack_order


def _entry() -> Entry:
    return Entry(b"out\n", b"warn\n", 0, 100.0, 200.0, b'{"class": "issues"}', pack_order([(2, 2), (1, 4), (2, 3)]))


def test_entry_round_trip_and_order() -> None:
    entry = Entry.from_bytes(_entry().to_bytes())
    assert entry.to_bytes() == _entry().to_bytes() and (entry.stdout, entry.stderr) == (b"out\n", b"warn\n")
    assert entry.segments() == [(2, b"wa"), (1, b"out\n"), (2, b"rn\n")]
    assert entry.fresh(100.0) and entry.fresh(199.9) and not entry.fresh(200.0) and not entry.fresh(99.0)


def test_every_single_byte_flip_and_cut_is_detected() -> None:
    data = _entry().to_bytes()
    for index in range(len(data)):
        flipped = bytearray(data)
        flipped[index] ^= 0x01
        with pytest.raises(CorruptEntry):
            Entry.from_bytes(bytes(flipped))
        with pytest.raises(CorruptEntry):
            Entry.from_bytes(data[:index])


@pytest.mark.parametrize(
    "text,value", [("90", 90), ("90s", 90), ("5m", 300), ("1h", 3600), ("1d", 86400), ("0", 0), ("1.5h", 5400)]
)
def test_durations(text: str, value: float) -> None:
    assert config.seconds(text, "X") == value


@pytest.mark.parametrize(
    "text,value", [("1048576", 1048576), ("500M", 500 * 2**20), ("2G", 2 * 2**30), ("64KiB", 65536), ("1MB", 2**20)]
)
def test_sizes(text: str, value: int) -> None:
    assert config.size(text, "X") == value


@pytest.mark.parametrize("text", ["", "lots", "-5", "nan", "5x"])
def test_bad_values_are_one_line_errors(text: str) -> None:
    with pytest.raises(config.BadValue) as error:
        config.seconds(text, "GH_CACHE_TTL_ISSUES")
    assert "GH_CACHE_TTL_ISSUES" in str(error.value) and "\n" not in str(error.value)


def test_default_cache_dir_agrees_with_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for env in ({}, {"XDG_CACHE_HOME": str(tmp_path)}):
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert config.default_cache_dir(env) == platformdirs.user_cache_dir("ghcache", appauthor=False)


def test_settings_from_env() -> None:
    settings = config.load(
        {
            "GH_CACHE_TTL_ISSUES": "5m",
            "GH_CACHE_DIR": "/c",
            "GH_CACHE": "0",
            "GH_CACHE_NOW": "1000",
            "GH_CACHE_MAX_SIZE": "1G",
        }
    )
    assert settings.ttl("issues") == 300 and settings.ttl("repository") == 3600 and settings.ttl("other") == 60
    assert settings.cache_dir == "/c" and not settings.enabled and settings.now() == 1000
    assert settings.max_size == 2**30


def _inputs(
    env: dict[str, str],
    tmp_path: Path,
    argv: str = "issue list -R o/r",
    stdout_tty: bool = False,
    width: int | None = None,
) -> keys.KeyInputs:
    args = argv.split()
    gh = tmp_path / "gh"
    if not gh.exists():
        gh.write_bytes(b"binary")
    env = {"GH_CONFIG_DIR": str(tmp_path / "cfg"), **env}
    return keys.build(policy.decide(args), args, env, str(tmp_path), keys.Terminal(stdout_tty, False, width), str(gh))


def test_key_depends_on_identity_but_never_contains_the_token(tmp_path: Path) -> None:
    token = "ghp_" + "s" * 36
    first = _inputs({"GH_TOKEN": token}, tmp_path)
    assert token not in repr(first) and token not in first.key()
    assert first.key() != _inputs({"GH_TOKEN": token + "x"}, tmp_path).key()
    assert first.key() == _inputs({"GH_TOKEN": token}, tmp_path).key()


@pytest.mark.parametrize(
    "change",
    [
        {"NO_COLOR": "1"},
        {"CLICOLOR_FORCE": "1"},
        {"GH_FORCE_TTY": "100"},
        {"GH_HOST": "ghe.example"},
        {"TZ": "Asia/Tokyo"},
        {"GLAMOUR_STYLE": "light"},
    ],
)
def test_key_depends_on_output_environment(change: dict[str, str], tmp_path: Path) -> None:
    assert _inputs({}, tmp_path).key() != _inputs(change, tmp_path).key()


def test_key_depends_on_terminal_and_argv(tmp_path: Path) -> None:
    base = _inputs({}, tmp_path).key()
    assert base != _inputs({}, tmp_path, stdout_tty=True, width=80).key()
    assert (
        _inputs({}, tmp_path, stdout_tty=True, width=80).key() != _inputs({}, tmp_path, stdout_tty=True, width=81).key()
    )
    assert base != _inputs({}, tmp_path, argv="issue list -R o/r --json number").key()
    assert base != _inputs({}, tmp_path, argv="issue list -R o/r --jq .").key()


def test_repo_context_from_git_files(tmp_path: Path) -> None:
    git = tmp_path / "checkout" / ".git"
    (git).mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/feature/x\n")
    (git / "config").write_text(
        '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:Fork/Hello.git\n'
        '[remote "upstream"]\n\turl = https://github.com/Octo/Hello\n'
    )
    nested = tmp_path / "checkout" / "src" / "deep"
    nested.mkdir(parents=True)
    assert gitctx.resolve(str(nested)) == ("github.com/octo/hello", "feature/x")
    (git / "config").write_text((git / "config").read_text() + '[remote "origin"]\n\tgh-resolved = base\n')
    assert gitctx.resolve(str(nested))[0] == "github.com/fork/hello"
    assert gitctx.resolve(str(tmp_path)) == (None, None)


@pytest.mark.parametrize(
    "url,repo",
    [
        ("https://github.com/o/r.git", "github.com/o/r"),
        ("git@github.com:o/r.git", "github.com/o/r"),
        ("ssh://git@ghe.example:2222/o/r", "ghe.example/o/r"),
        ("https://user:pw@github.com/o/r", "github.com/o/r"),
        ("/local/path", None),
    ],
)
def test_remote_urls(url: str, repo: str | None) -> None:
    assert gitctx.normalise_remote_url(url) == repo


def test_hit_path_imports_only_the_standard_library() -> None:
    import subprocess

    code = (
        "import sys; before = set(sys.modules); import ghcache.shim; print(' '.join(sorted(set(sys.modules) - before)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-S", "-E", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    ).stdout.split()
    third_party = [name for name in loaded if name.split(".")[0] not in sys.stdlib_module_names | {"ghcache"}]
    assert third_party == []
    heavy = {
        "os",  # ghcache.fastos: 1.5 ms less per call
        "_collections_abc",
        "json",
        "re",
        "subprocess",
        "hashlib",
        "threading",
        "typing",
        "dataclasses",
        "struct",
        "platformdirs",
        "argh",
        "urllib3",
    }
    assert heavy.isdisjoint(loaded), heavy & set(loaded)


def test_personal_reads_keep_the_identity_in_shared_keys(tmp_path: Path) -> None:
    """`gh api user` answers differently per token: peers must not hand one user's answer to another."""

    def shared(argv: list[str], token: str) -> str:
        decision = policy.decide(argv)
        env = {"GH_TOKEN": token, "GH_CONFIG_DIR": str(tmp_path), "GH_REPO": ""}
        inputs = keys.build(decision, argv, env, str(tmp_path), keys.Terminal(False, False, None), "/bin/true")
        return inputs.shared_key("namespace")

    for personal in (
        ["api", "user"],
        ["api", "repos/o/r"],  # a repository object carries the viewer's `permissions`
        ["issue", "status", "-R", "o/r"],
        ["search", "issues", "--author", "@me"],
        ["repo", "view", "o/r", "--json", "name,viewerPermission"],
        ["issue", "view", "2", "-R", "o/r", "--json", "comments"],
    ):
        assert shared(personal, "token-a") != shared(personal, "token-b"), personal
    for common in (["api", "repos/o/r/labels"], ["issue", "view", "2", "-R", "o/r", "--json", "title"]):
        assert shared(common, "token-a") == shared(common, "token-b"), common


def test_portable_shim_starts_the_recorded_interpreter_not_python3_on_path(tmp_path: Path, zipapps: Path) -> None:
    """shims/gh never runs a version-manager python3 first on PATH: make zipapps recorded the real one."""
    from support import REAL_GH, ROOT

    trap = tmp_path / "python3"
    trap.write_text(f"#!/bin/sh\ntouch {tmp_path / 'used'}\nexit 99\n")
    trap.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{Path(REAL_GH).parent}:/usr/bin:/bin", "HOME": str(tmp_path), "GH_CACHE": "0"}
    done = subprocess.run([str(ROOT / "shims" / "gh"), "--version"], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0 and b"gh version" in done.stdout, done.stderr
    assert not (tmp_path / "used").exists()
    assert (zipapps / "ghcache.python").read_text().strip() == os.path.realpath(sys._base_executable)


def _portable(tmp_path: Path, bundle: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """shims/gh --version with GH_CACHE_PYZ at `bundle` and the cache off (no gh call is cached)."""
    from support import REAL_GH, ROOT

    env = {
        "PATH": f"{Path(REAL_GH).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GH_CACHE": "0",
        "GH_CACHE_PYZ": str(bundle),
    }
    return subprocess.run([str(ROOT / "shims" / "gh"), "--version"], env=env, cwd=cwd, capture_output=True, timeout=60)


def test_portable_shim_imports_the_unpacked_copy_and_not_a_stale_one(tmp_path: Path, zipapps: Path) -> None:
    """make zipapps unpacks the shim's compiled packages next to the zip; shims/gh imports them (a zip it
    cannot read is never opened), and falls back to the zip when the copy is older than it."""
    import shutil

    bundle = tmp_path / "bin"
    bundle.mkdir()
    shutil.copytree(zipapps / "ghcache.lib", bundle / "ghcache.lib")
    shutil.copy(zipapps / "ghcache.python", bundle)
    (bundle / "ghcache.pyz").write_bytes(b"not a zip")
    os.utime(bundle / "ghcache.pyz", (1, 1))  # older than the copy
    done = _portable(tmp_path, bundle / "ghcache.pyz")
    assert done.returncode == 0 and b"gh version" in done.stdout, done.stderr

    shutil.copy(zipapps / "ghcache.pyz", bundle)  # a newer zip: the copy is stale, poison it to prove it
    (bundle / "ghcache.lib" / "ghcache" / "shim.py").write_text("raise SystemExit('stale copy used')\n")
    for compiled in (bundle / "ghcache.lib" / "ghcache" / "__pycache__").glob("shim.*"):
        compiled.unlink()
    os.utime(bundle / "ghcache.lib", (1, 1))
    done = _portable(tmp_path, bundle / "ghcache.pyz")
    assert done.returncode == 0 and b"gh version" in done.stdout, done.stderr


def test_portable_shim_never_imports_from_the_current_directory(tmp_path: Path, zipapps: Path) -> None:
    """A checkout with its own os.py or time.py must not run inside the shim (-I: no '' on sys.path)."""
    planted = tmp_path / "checkout"
    planted.mkdir()
    for name in ("__future__", "os", "time", "signal", "json", "subprocess", "ghcache"):
        (planted / f"{name}.py").write_text(f"open({str(tmp_path / 'hijacked')!r}, 'w').close()\n")
    done = _portable(tmp_path, zipapps / "ghcache.pyz", cwd=planted)
    assert done.returncode == 0 and b"gh version" in done.stdout, done.stderr
    assert not (tmp_path / "hijacked").exists()
