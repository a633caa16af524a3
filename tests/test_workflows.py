"""Every workflow and action file lints clean (zizmor, actionlint, the Actions schema), every shell file
passes shellcheck, and the auto-heal workflow is exactly the template `autoheal init-workflow` writes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autoheal.triage.cli import init_workflow, workflow_text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # zizmor, actionlint and shellcheck come from the test venv
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TEMPLATE = ROOT / "autoheal" / "templates" / "auto-heal.yml"
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}|\./")  # or this repository's own action, in its checkout
ACTION = "octo/ghcache-autoheal@" + "0123456789abcdef" * 2 + "01234567"


def tool(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run a linter offline, with no token in reach (zizmor would go online with one)."""
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k}
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def shell_files() -> list[Path]:
    """Whatever shell files exist now: *.sh anywhere outside hidden and vendored dirs, plus shims/gh."""
    skip = {"node_modules", "build", "dist"}
    found = [
        p
        for p in ROOT.rglob("*.sh")
        if not any(part.startswith(".") or part in skip for part in p.relative_to(ROOT).parts)
    ]
    return sorted(found + [p for p in [ROOT / "shims" / "gh"] if p.exists()])


def steps(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text())
    jobs = data.get("jobs", {}).values() if "jobs" in data else [data["runs"]]
    return [step for job in jobs for step in job.get("steps", [])]


def test_workflow_is_the_init_workflow_template() -> None:
    assert (ROOT / ".github" / "workflows" / "auto-heal.yml").read_bytes() == TEMPLATE.read_bytes()


def test_zizmor_finds_nothing() -> None:
    done = tool("zizmor", "--offline", "--no-progress", *map(str, WORKFLOWS), "action.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_nothing_in_workflows() -> None:
    done = tool("actionlint", "-no-color", *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_composite_action_matches_the_actions_schema() -> None:
    """actionlint checks workflows only; the composite action is checked against GitHub's published schema."""
    done = tool("check-jsonschema", "--builtin-schema", "vendor.github-actions", "action.yml")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", [*WORKFLOWS, ROOT / "action.yml"], ids=lambda p: p.name)
def test_actions_pinned_and_no_expression_in_scripts(path: Path) -> None:
    """`${{ }}` inside `run:` is how issue text becomes shell code; values go through `env:` instead."""
    for step in steps(path):
        assert "${{" not in step.get("run", ""), step
        assert "uses" not in step or PINNED.fullmatch(step["uses"]), step["uses"]


def test_shellcheck_finds_nothing() -> None:
    files = shell_files()
    if not files:
        pytest.skip("no shell files in the repository yet")
    done = tool("shellcheck", *map(str, files))
    assert done.returncode == 0, done.stdout + done.stderr


def test_init_workflow_writes_the_template_pinned_to_the_action_and_never_clobbers(tmp_path: Path) -> None:
    target = tmp_path / ".github" / "workflows" / "auto-heal.yml"
    assert init_workflow(str(tmp_path), ACTION) == 0
    written = target.read_text()
    assert written == workflow_text(ACTION) and written == TEMPLATE.read_text().replace(
        "uses: ./ # zizmor: ignore[self-repository] autoheal:action", f"uses: {ACTION} # autoheal:action"
    )
    install = [
        step for step in yaml.safe_load(written)["jobs"]["triage"]["steps"] if "autoheal" in step.get("name", "")
    ]
    assert [step["uses"] for step in install] == [ACTION]
    assert init_workflow(str(tmp_path), ACTION) == 0
    target.write_text("# mine\n")
    assert init_workflow(str(tmp_path), ACTION) == 1 and target.read_text() == "# mine\n"


@pytest.mark.parametrize("action", ["octo/ghcache-autoheal@main", "octo/x@" + "A" * 40, "octo@" + "a" * 40, "./"])
def test_init_workflow_refuses_an_action_that_is_not_pinned(tmp_path: Path, action: str) -> None:
    assert init_workflow(str(tmp_path), action) == 2
    assert not (tmp_path / ".github").exists()


def test_the_written_workflow_lints_clean(tmp_path: Path) -> None:
    """What init-workflow writes into another repository passes the same linters as ours."""
    init_workflow(str(tmp_path), ACTION)
    written = tmp_path / ".github" / "workflows" / "auto-heal.yml"
    done = tool("actionlint", "-no-color", str(written))
    assert done.returncode == 0, done.stdout + done.stderr
    done = tool("zizmor", "--offline", "--no-progress", str(written))
    assert done.returncode == 0, done.stdout + done.stderr


def test_triage_runs_on_issues_a_workflow_token_filed() -> None:
    """GitHub starts no workflow for an issue filed with GITHUB_TOKEN: a schedule (and a manual run) sweeps."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "auto-heal.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"issues", "schedule", "workflow_dispatch"} and triggers["schedule"][0]["cron"]
    assert workflow["concurrency"] == {"group": "auto-heal", "cancel-in-progress": False}
    job = workflow["jobs"]["triage"]
    assert job["if"] == "github.event_name != 'issues' || github.event.label.name == 'auto-heal'"
    assert workflow["permissions"] == {} and set(job["permissions"].values()) == {"write"}
    [triage] = [step for step in job["steps"] if step.get("name") == "Triage"]
    assert "autoheal triage --sweep" in triage["run"] and "--issue" in triage["run"]
