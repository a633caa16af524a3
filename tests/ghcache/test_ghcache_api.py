"""`from ghcache import GHCache`: the real gh behind the shim's own path, from Python, against fakehub."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from ghrig import GhRig

from ghcache import GHCache


def test_run_answers_like_gh_and_shares_the_shims_cache(rig: GhRig) -> None:
    cache = GHCache(rig.cache_dir, env=rig.env)
    real = rig.run("issue", "list", "-R", "octo/hello", shim=False)
    rig.hub.clear_requests()

    first = cache.run(["issue", "list", "-R", "octo/hello"], cwd=rig.home)
    code, stdout, stderr = first
    assert (code, stdout.encode(), stderr.encode()) == (real.returncode, real.stdout, real.stderr)
    fetched = rig.calls()
    assert fetched > 0

    assert cache.run(["issue", "list", "-R", "octo/hello"], cwd=rig.home) == first  # a hit: nothing upstream
    from_shell = rig.run("issue", "list", "-R", "octo/hello")  # the shell's shim hits the same entry
    assert from_shell.stdout == stdout.encode() and rig.calls() == fetched
    assert cache.stats()["hits"]["local"] == 2 and cache.stats()["upstream_calls_saved"] == 2


def test_a_write_through_the_api_makes_the_read_stale(rig: GhRig) -> None:
    cache = GHCache(rig.cache_dir, env=rig.env)
    assert cache.run(["issue", "list", "-R", "octo/hello"]).code == 0
    created = cache.run(["issue", "create", "-R", "octo/hello", "-t", "from python", "-b", "body"])
    assert created.code == 0 and "/issues/" in created.stdout
    listed = cache.run(["issue", "list", "-R", "octo/hello"])
    assert "from python" in listed.stdout
    assert cache.stats()["writes"] == 1 and cache.stats()["hits"]["local"] == 0


def test_failures_keep_gh_exit_code_and_bytes_and_are_not_cached(rig: GhRig) -> None:
    cache = GHCache(rig.cache_dir, env=rig.env)
    real = rig.run("api", "repos/octo/missing", shim=False)
    got = cache.run(["api", "repos/octo/missing"], text=False)
    assert got == (real.returncode, real.stdout, real.stderr) and got.code == 1
    assert cache.stats()["entries"] == 0


def test_print_stats_and_bad_settings(rig: GhRig) -> None:
    cache = GHCache(rig.cache_dir, env=rig.env)
    cache.run(["api", "repos/octo/hello"])
    cache.run(["api", "repos/octo/hello"])
    out = io.StringIO()
    cache.print_stats(file=out)
    assert "hits (local)     1" in out.getvalue() and "calls saved      1" in out.getvalue()
    with pytest.raises(ValueError, match="GH_CACHE_MAX_SIZE='lots' is not a size"):
        GHCache(env={**rig.env, "GH_CACHE_MAX_SIZE": "lots"})
    with pytest.raises(TypeError):
        cache.run("api repos/octo/hello")  # type: ignore[arg-type]


def test_importing_ghcache_does_not_load_the_api() -> None:
    """The shim imports the package on every call: the API must cost it nothing until used."""
    loaded = "print('ghcache.api' in sys.modules)"
    code = f"import sys, ghcache.shim; {loaded}; ghcache.GHCache; {loaded}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_run_in_a_checkout_never_imports_the_checkouts_modules(rig: GhRig, tmp_path: Path) -> None:
    """`-c` would put the current directory first on sys.path: a checkout's `__future__.py` must not run."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("__future__", "signal", "json", "subprocess", "ghcache"):
        (checkout / f"{name}.py").write_text(f"open({str(tmp_path / 'hijacked')!r}, 'w').close()\\n")
    result = GHCache(rig.cache_dir, env=rig.env).run(["issue", "list", "-R", "octo/hello"], cwd=checkout)
    assert result.code == 0, result.stderr
    assert not (tmp_path / "hijacked").exists()
