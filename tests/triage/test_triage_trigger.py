"""The healing loop starts for real: GitHub starts no workflow for an issue filed with a workflow's
GITHUB_TOKEN, which is how a crash in CI is reported, so the auto-heal workflow's scheduled sweep must find
it. Here the workflow `autoheal init-workflow --action` writes runs as the runner would, on a schedule
event, with autoheal installed by the action's own step (not from a package name), against fakehub."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from actions_runner import Job, StepResult, checkout_of
from support import REAL_GH
from triage_world import REPO, ROOT, World

from autoheal.triage.cli import workflow_text

ACTION = "octo/ghcache-autoheal@" + "5" * 40


def triaged(job: Job) -> StepResult:
    [step] = [step for step in job.steps if step.name == "Triage"]
    return step


def fix_pulls(world: World, number: int) -> list:
    return [i for i in world.hub.state.get_repo(REPO).issues.values() if i.pull and f"Fixes #{number}" in i.body]


@pytest.fixture(scope="module")
def action(tmp_path_factory: pytest.TempPathFactory, zipapps: Path) -> Path:
    """The action at the pinned commit, as the runner fetches it; its zipapps built already (building
    them from the checkout is the action job test's part)."""
    checkout = checkout_of(ROOT, tmp_path_factory.mktemp("_actions") / "ghcache-autoheal")
    (checkout / "bin").mkdir(exist_ok=True)
    for name in ("ghcache.pyz", "autoheal.pyz"):
        shutil.copy(zipapps / name, checkout / "bin" / name)
    return checkout


def sweep_job(world: World, action: Path, tmp_path: Path, event_name: str, event: dict) -> Job:
    """Run the workflow's triage job for one event; returns the job, for its step results."""
    tools = tmp_path / "runner-tools"
    tools.mkdir(exist_ok=True)
    if not (tools / "gh").exists():
        (tools / "gh").symlink_to(REAL_GH)
    env = {k: v for k, v in world.env().items() if k != "GITHUB_TOKEN"}  # given as ${{ github.token }}
    env.update({"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(world.root / "home"), "LANG": "C.UTF-8"})
    job = Job(
        tmp_path / f"job-{event_name}-{len(list(tmp_path.glob('job-*')))}",
        env,
        repository=REPO,
        event_name=event_name,
        event=event,
        workspace=world.ci,
        token=world.hub.default_token,
    )
    workflow = yaml.safe_load(workflow_text(ACTION))
    for step in workflow["jobs"]["triage"]["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            continue  # the workspace is the CI checkout of the world's repository
        if uses.startswith("actions/setup-python@"):
            continue  # the runner's python3 stands in
        if uses == ACTION:
            result = job.uses(action, step.get("with"), ref=ACTION.split("@")[1])
        else:
            result = job.run(step["run"], env=step.get("env"), name=step["name"])
        assert result.returncode == 0, f"{result.name}: {result.stdout}{result.stderr}"
    job.finish()
    return job


@pytest.mark.parametrize("world", ["missing_env"], indirect=True)
def test_the_scheduled_sweep_turns_an_issue_filed_from_ci_into_a_draft_pr(
    world: World, action: Path, tmp_path: Path
) -> None:
    number = world.crash()  # filed by the hook with the job's token: no `issues` event would start triage
    issue = world.hub.state.get_repo(REPO).issues[number]
    assert "auto-heal" in issue.labels

    job = sweep_job(world, action, tmp_path, "schedule", {})
    triage_step = triaged(job)
    assert "1 open auto-heal issue(s) to look at" in triage_step.stdout
    assert "opened draft PR" in triage_step.stdout and f"for issue #{number}" in triage_step.stdout
    [pull] = fix_pulls(world, number)
    assert pull.pull.draft and pull.pull.head_ref.startswith("autoheal/")

    again = sweep_job(world, action, tmp_path, "schedule", {})  # the next hour's sweep changes nothing
    assert f"draft PR #{pull.number} already exists for issue #{number}" in triaged(again).stdout
    assert fix_pulls(world, number) == [pull]


@pytest.mark.parametrize("world", ["missing_env"], indirect=True)
def test_a_manual_run_triages_the_issue_it_names(world: World, action: Path, tmp_path: Path) -> None:
    number = world.crash()
    job = sweep_job(world, action, tmp_path, "workflow_dispatch", {"inputs": {"issue": str(number)}})
    assert "opened draft PR" in triaged(job).stdout and "to look at" not in triaged(job).stdout
    assert len(fix_pulls(world, number)) == 1


@pytest.mark.parametrize("world", ["missing_env"], indirect=True)
def test_an_issue_a_person_labels_is_triaged_at_once(world: World, action: Path, tmp_path: Path) -> None:
    number = world.crash()
    event = {"action": "labeled", "label": {"name": "auto-heal"}, "issue": {"number": number}}
    job = sweep_job(world, action, tmp_path, "issues", event)
    assert f"for issue #{number}" in triaged(job).stdout and "to look at" not in triaged(job).stdout
    assert len(fix_pulls(world, number)) == 1
