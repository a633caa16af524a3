"""`source shims/gh-cache.sh` in bash and zsh (and a one-line refusal in dash), alone and in a simulated
GitHub Actions step: PATH, env, the step summary, annotations."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from ghrig import GhRig
from support import ROOT


def _step(
    rig: GhRig, tmp_path: Path, script: str, shell: str = "bash", **extra: str
) -> subprocess.CompletedProcess[str]:
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
        [shell, "-c", f'. "{ROOT}/shims/gh-cache.sh"\n{script}'],
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


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_sourced_step_caches_gh_and_writes_path_env_and_summary(rig: GhRig, tmp_path: Path, shell: str) -> None:
    script = "gh api repos/octo/hello >/dev/null\ngh api repos/octo/hello >/dev/null\ncommand -v gh"
    done = _step(rig, tmp_path, script, shell)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    launcher = tmp_path / "launchers" / "gh"
    assert done.stdout.strip() == str(launcher)
    assert launcher.read_text().startswith(f"#!{os.path.realpath(exported_python(tmp_path))} -IS\n# ghcache-shim")
    assert rig.calls() == 1
    assert str(launcher.parent) in (tmp_path / "github_path").read_text().splitlines()
    exported = dict(line.split("=", 1) for line in (tmp_path / "github_env").read_text().splitlines())
    assert exported["GH_CACHE_PYZ"] == str(ROOT / "bin" / "ghcache.pyz")
    assert Path(exported["GH_CACHE_PYTHON"]).is_file() and "shims" not in exported["GH_CACHE_PYTHON"]
    summary = (tmp_path / "github_step_summary").read_text()  # written when the shell exits
    assert "### ghcache" in summary and "| gh calls answered from cache | 1 |" in summary


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_the_steps_summary_counts_only_this_step(rig: GhRig, tmp_path: Path, shell: str) -> None:
    assert _step(rig, tmp_path, "gh api repos/octo/hello >/dev/null", shell).returncode == 0
    (tmp_path / "github_step_summary").write_text("")
    assert _step(rig, tmp_path, "gh api repos/octo/hello >/dev/null", shell).returncode == 0
    this_step, _, lifetime = (tmp_path / "github_step_summary").read_text().partition("<details>")
    assert "| gh calls that went to GitHub | 0 |" in this_step and "| gh calls that went to GitHub | 1 |" in lifetime


def test_an_exit_trap_of_the_users_own_is_kept(rig: GhRig, tmp_path: Path) -> None:
    """gh-cache.sh sets no EXIT trap over the user's (call gh_cache_summary yourself then)."""
    for shell in ("bash", "zsh"):
        script = "trap 'echo mine' EXIT\n" + f'. "{ROOT}/shims/gh-cache.sh"'
        done = _step(rig, tmp_path, script, shell)
        assert done.stdout.strip() == "mine", (shell, done.stdout, done.stderr)


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_sourced_outside_actions_from_another_directory(rig: GhRig, tmp_path: Path, shell: str) -> None:
    """No Actions variables at all, sourced by a relative path from elsewhere: gh is cached, nothing printed."""
    env = {**rig.env, "GH_CACHE_SHIM_DIR": str(tmp_path / "launchers")}
    env.pop("GH_CACHE_PYTHON")
    relative = os.path.relpath(ROOT / "shims" / "gh-cache.sh", rig.home)
    script = (
        f'. "{relative}" && gh api repos/octo/hello >/dev/null && gh api repos/octo/hello >/dev/null && command -v gh'
    )
    done = subprocess.run([shell, "-c", script], env=env, capture_output=True, text=True, cwd=rig.home, timeout=120)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.strip() == str(tmp_path / "launchers" / "gh") and rig.calls() == 1


def test_dash_refuses_in_one_line_and_leaves_path_alone(rig: GhRig) -> None:
    script = f'. "{ROOT}/shims/gh-cache.sh"; echo "status=$?"; command -v gh'
    done = subprocess.run(["dash", "-c", script], env=rig.env, capture_output=True, text=True, cwd=rig.home)
    assert done.stderr.splitlines() == [
        "gh-cache.sh: this shell cannot tell a sourced file where it is; source it from bash or zsh, "
        "or put its shims/ directory first on PATH (shims/gh is plain sh)"
    ]
    assert done.stdout.splitlines() == ["status=1", str(ROOT / "shims" / "gh")]  # rig's PATH, unchanged


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
