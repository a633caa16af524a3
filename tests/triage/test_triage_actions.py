"""The workflow and the composite action run as GitHub Actions would run them: `${{ }}` resolved from a
simulated event context, `run:` scripts in bash with GITHUB_* variables and files for GITHUB_ENV/PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from triage_world import REPO, ROOT, World

EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def resolve(value: str, context: dict[str, str]) -> str:
    """Substitute simple `${{ a.b.c }}` lookups, as the runner does before a step starts (missing -> '')."""
    return EXPRESSION.sub(lambda m: context.get(m.group(1), ""), str(value))


def run_step(step: dict, context: dict[str, str], base_env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**base_env, **{k: resolve(v, context) for k, v in step.get("env", {}).items()}}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def actions_files(tmp: Path) -> dict[str, str]:
    files = {name: tmp / name.lower() for name in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")}
    for path in files.values():
        path.touch()
    return {name: str(path) for name, path in files.items()}


@pytest.mark.parametrize("world", ["missing_env"], indirect=True)
def test_auto_heal_workflow_triages_a_labelled_issue(world: World, tmp_path: Path) -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "auto-heal.yml").read_text())
    job = workflow["jobs"]["triage"]
    assert workflow[True] == {"issues": {"types": ["labeled"]}}  # YAML 1.1 reads the `on` key as True
    assert job["if"] == "github.event.label.name == 'auto-heal'"
    assert workflow["permissions"] == {} and set(job["permissions"].values()) == {"write"}
    number = world.crash()
    context = {"github.token": world.hub.default_token, "github.event.issue.number": str(number)}
    launcher = tmp_path / "bin" / "autoheal"  # what `pip install` would put on PATH
    launcher.parent.mkdir()
    launcher.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m autoheal "$@"\n')
    launcher.chmod(0o755)
    env = {
        **os.environ,
        **world.env(),
        **actions_files(tmp_path),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "PATH": f"{launcher.parent}:{os.environ['PATH']}",
    }
    del env["GITHUB_TOKEN"], env["AUTOHEAL_REPO"]  # only what the workflow passes

    [triage_step] = [s for s in job["steps"] if s.get("name") == "Triage the issue"]
    done = run_step(triage_step, context, env, world.ci)

    assert done.returncode == 0, done.stderr
    assert "opened draft PR" in done.stdout
    assert [i for i in world.hub.state.get_repo(REPO).issues.values() if i.pull and f"Fixes #{number}" in i.body]


def test_action_enables_both_tools_in_a_simulated_job(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    [step] = action["runs"]["steps"]
    files = actions_files(tmp_path)
    context = {
        "github.action_path": str(ROOT),
        "runner.temp": str(tmp_path),
        "inputs.daemon": "false",
        "inputs.venv": "",
    }
    env = {
        **os.environ,
        **files,
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "HOME": str(tmp_path),
        "GH_CACHE_SHIM_DIR": str(tmp_path / "launchers"),
    }

    done = run_step(step, context, env, tmp_path)

    assert done.returncode == 0, done.stderr
    exported = Path(files["GITHUB_ENV"]).read_text().splitlines()
    assert {"AUTOHEAL_ENABLED=1", f"AUTOHEAL_REPO={REPO}", f"GH_CACHE_DIR={tmp_path}/gh-cache"} <= set(exported)
    assert str(tmp_path / "launchers") in Path(files["GITHUB_PATH"]).read_text().splitlines()
    assert (tmp_path / "launchers" / "gh").read_text().splitlines()[1].startswith("# ghcache-shim")
