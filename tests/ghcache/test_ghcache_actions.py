"""`source shims/gh-cache.sh` in a simulated GitHub Actions step: PATH, env, summary, annotations."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ghrig import GhRig
from support import ROOT


def _step(rig: GhRig, tmp_path: Path, script: str, **extra: str) -> subprocess.CompletedProcess[str]:
    files = {name: tmp_path / name.lower() for name in ("GITHUB_PATH", "GITHUB_ENV", "GITHUB_STEP_SUMMARY")}
    env = {
        **rig.env,
        "GITHUB_ACTIONS": "true",
        **{name: str(path) for name, path in files.items()},
        "GH_CACHE_SHIM_DIR": str(tmp_path / "launchers"),
        **extra,
    }
    env.pop("GH_CACHE_PYTHON")
    return subprocess.run(
        ["bash", "-c", f'source "{ROOT}/shims/gh-cache.sh"\n{script}'],
        env=env,
        capture_output=True,
        text=True,
        cwd=rig.home,
        timeout=120,
    )


def exported_python(tmp_path: Path) -> str:
    exported = dict(line.split("=", 1) for line in (tmp_path / "github_env").read_text().splitlines())
    return exported["GH_CACHE_PYTHON"]


def test_unwritable_launcher_dir_falls_back_to_the_portable_shim(rig: GhRig, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = _step(rig, tmp_path, "command -v gh", GH_CACHE_SHIM_DIR=str(blocker / "sub"))
    assert done.stdout.strip() == str(ROOT / "shims" / "gh")


def test_sourced_step_caches_gh_and_writes_path_env_and_summary(rig: GhRig, tmp_path: Path) -> None:
    done = _step(rig, tmp_path, "gh api repos/octo/hello >/dev/null\ngh api repos/octo/hello >/dev/null\ncommand -v gh")
    assert done.returncode == 0, done.stderr
    launcher = tmp_path / "launchers" / "gh"
    assert done.stdout.strip() == str(launcher)
    assert launcher.read_text().startswith(f"#!{os.path.realpath(exported_python(tmp_path))} -IS\n# ghcache-shim")
    assert rig.calls() == 1
    assert str(launcher.parent) in (tmp_path / "github_path").read_text().splitlines()
    exported = dict(line.split("=", 1) for line in (tmp_path / "github_env").read_text().splitlines())
    assert exported["GH_CACHE_PYZ"] == str(ROOT / "bin" / "ghcache.pyz")
    assert Path(exported["GH_CACHE_PYTHON"]).is_file() and "shims" not in exported["GH_CACHE_PYTHON"]
    summary = (tmp_path / "github_step_summary").read_text()
    assert "### ghcache" in summary and "| gh calls answered from cache | 1 |" in summary


def test_stale_result_becomes_a_warning_annotation(rig: GhRig, tmp_path: Path) -> None:
    start = 1_900_000_000
    assert _step(rig, tmp_path, "gh api repos/octo/hello/issues >/dev/null", GH_CACHE_NOW=str(start)).returncode == 0
    rig.hub.set_outage(503)
    done = _step(rig, tmp_path, "gh api repos/octo/hello/issues >/dev/null", GH_CACHE_NOW=str(start + 600))
    assert done.returncode == 0
    assert "::warning title=ghcache::served a cached result from 600s ago" in done.stderr


def test_missing_zipapp_leaves_gh_alone_with_one_line(rig: GhRig, tmp_path: Path) -> None:
    done = _step(rig, tmp_path, "command -v gh", GH_CACHE_PYZ=str(tmp_path / "nope.pyz"))
    assert done.stderr.strip().splitlines() == [
        f"gh-cache.sh: {tmp_path / 'nope.pyz'} is missing (run 'make zipapps'); gh stays uncached"
    ]
