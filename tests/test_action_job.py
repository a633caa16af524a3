"""The action in a job, run as the runner runs it: a fresh clone of the repository (no build output) as
the action's directory, its main step under node with INPUT_* and the runner's environment files, later
`run:` steps calling gh (against fakehub), and the post step writing the job summary after all of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from actions_runner import Job, checkout_of
from fakehub import FakeHub
from support import REAL_GH, ROOT

RUNNER_PYTHON = shutil.which("python3", path="/usr/bin:/bin")  # the runner's own Python, not the test venv


@pytest.fixture(scope="module")
def hub() -> FakeHub:
    with FakeHub(mode="tls") as running:
        yield running


@pytest.fixture(scope="module")
def action(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action as `uses: octo/ghcache-autoheal@<sha>` fetches it (built once, by its first job)."""
    target = checkout_of(ROOT, tmp_path_factory.mktemp("_actions") / "ghcache-autoheal" / "sha")
    assert not (target / "bin" / "ghcache.pyz").exists()
    return target


def runner_env(hub: FakeHub, root: Path) -> dict[str, str]:
    """A runner's environment: its Python, node, git and gh on PATH, the package index, nothing of ours.
    Every job of a runner image has the same home and gh (which keys depend on)."""
    home = root.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    tools = root.parent / "runner-tools"
    if not tools.exists():
        tools.mkdir()
        (tools / "gh").symlink_to(REAL_GH)
    env = {name: value for name, value in os.environ.items() if name.startswith("PIP_")}  # this machine's index
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))  # warm, as actions/setup-python's cache
    env.update(hub.gh_env(home=home))
    env.update({"PATH": f"{tools}:/usr/bin:/bin", "LANG": "C.UTF-8"})
    return env


def job(hub: FakeHub, root: Path, **kwargs: object) -> Job:
    return Job(root, runner_env(hub, root), token=hub.default_token, **kwargs)  # type: ignore[arg-type]


def sections(summary: str) -> tuple[str, str]:
    """(this job's table, the lifetime table) of the job summary."""
    job_part, _, lifetime = summary.partition("<details>")
    return job_part, lifetime


@pytest.mark.skipif(RUNNER_PYTHON is None, reason="needs a system python3 in /usr/bin")
def test_two_jobs_sharing_a_restored_cache_each_summarise_their_own_calls(
    hub: FakeHub, action: Path, tmp_path: Path
) -> None:
    first = job(hub, tmp_path / "job1")
    setup = first.uses(action)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert (action / "bin" / "ghcache.pyz").is_file()  # built from the checkout with the package index only
    assert first.summary == ""  # nothing yet: the figures come at the end of the job
    assert (first.env["GH_CACHE_DIR"], first.env["AUTOHEAL_REPO"], first.env["AUTOHEAL_ENABLED"]) == (
        str(first.temp / "gh-cache"),
        "octo/hello",
        "1",
    )

    hub.clear_requests()
    step = first.run(
        "command -v gh\n"
        "gh api repos/octo/hello > one\n"
        "gh api repos/octo/hello > two && cmp one two\n"
        "gh api repos/octo/hello/issues > /dev/null\n"
        "ghcache stats --jq .upstream_calls_saved\n"
    )
    assert step.returncode == 0, step.stderr
    assert step.stdout.splitlines()[0] == str(action / "bin" / "shim" / "gh")
    assert hub.upstream_count() == 2 and step.stdout.splitlines()[-1] == "1"
    [post] = first.finish()
    assert post.returncode == 0, post.stderr
    this_job, lifetime = sections(first.summary)
    assert "| gh calls answered from cache | 1 |" in this_job and "| upstream calls saved | 1 |" in this_job
    assert "| gh calls that went to GitHub | 2 |" in this_job and "| hits from local | 1 " in this_job

    # The next run: actions/cache (placed before the action) restores the directory; GitHub then fails.
    second = job(hub, tmp_path / "job2")
    shutil.copytree(Path(first.env["GH_CACHE_DIR"]), second.temp / "gh-cache")
    assert second.uses(action).returncode == 0
    hub.set_outage(503)
    try:
        later = {"GH_CACHE_NOW": str(time.time() + 600)}  # past the issues TTL, within the repository one
        step = second.run("gh api repos/octo/hello >/dev/null\ngh api repos/octo/hello/issues >/dev/null", env=later)
    finally:
        hub.set_outage(None)
    assert step.returncode == 0, step.stderr
    assert "::warning title=ghcache::served a cached result" in step.stderr
    second.finish()
    this_job, lifetime = sections(second.summary)
    assert "| gh calls answered from cache | 1 |" in this_job and "| stale results served | 1 |" in this_job
    assert "| gh calls answered from cache | 2 |" in lifetime and "| stale results served | 1 |" in lifetime


def test_a_build_that_cannot_be_done_fails_the_step_in_one_line(hub: FakeHub, tmp_path: Path) -> None:
    bare = checkout_of(ROOT, tmp_path / "action")
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    broken = job(hub, tmp_path / "job")
    broken.env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty)})
    setup = broken.uses(bare)
    assert setup.returncode == 1
    assert setup.error_lines == [
        "::error title=ghcache::could not build ghcache.pyz and autoheal.pyz "
        "(pip could not fetch argh, urllib3, platformdirs?)"
    ]
    assert broken.paths == [] and "GH_CACHE_DIR" not in broken.env  # gh is left as it was
    [post] = broken.finish()
    assert post.returncode == 0 and broken.summary == ""


def test_no_python_fails_the_step_in_one_line(hub: FakeHub, action: Path, tmp_path: Path) -> None:
    setup = job(hub, tmp_path / "job").uses(action, {"python": "python9"})
    assert setup.returncode == 1
    assert setup.error_lines == [
        "::error title=ghcache::no python9 on PATH (add actions/setup-python before this action)"
    ]


def test_crash_hook_input_reports_a_later_steps_crash(hub: FakeHub, action: Path, tmp_path: Path) -> None:
    """`venv:` installs the hook; a crash in a later step becomes an issue filed with the job's token."""
    venv = tmp_path / "app-venv"
    subprocess.run([RUNNER_PYTHON or "python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    crashing = job(hub, tmp_path / "job")
    assert crashing.uses(action, {"venv": str(venv), "summary": "false"}).returncode == 0
    before = len(hub.state.get_repo("octo/hello").issues)
    step = crashing.run(
        f"{venv}/bin/python -c 'raise RuntimeError(\"the nightly export broke\")'",
        env={"GITHUB_TOKEN": "${{ github.token }}", "GITHUB_API_URL": hub.api_url, "AUTOHEAL_TIMEOUT": "20"},
    )
    assert step.returncode == 1 and "RuntimeError: the nightly export broke" in step.stderr
    issues = hub.state.get_repo("octo/hello").issues
    [filed] = [issue for number, issue in issues.items() if number > before]
    assert "the nightly export broke" in filed.title and "auto-heal" in filed.labels
    crashing.finish()
    assert crashing.summary == ""  # summary: "false"


@pytest.mark.slow
def test_daemon_input_starts_the_peer_daemon_from_the_actions_own_venv(
    hub: FakeHub, action: Path, tmp_path: Path
) -> None:
    with_daemon = job(hub, tmp_path / "job")
    with_daemon.env.update(
        {
            "GH_CACHE_SHARED_SECRET": "a-test-namespace-secret-generated-here-" + os.urandom(8).hex(),
            "GH_CACHE_P2P_LISTEN": "/ip4/127.0.0.1/tcp/0",
            "GH_CACHE_P2P_MDNS": "0",
        }
    )
    setup = with_daemon.uses(action, {"daemon": "true"})
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "daemon running" in setup.stdout
    status = with_daemon.run("ghcache daemon status\ngh api repos/octo/hello >/dev/null")
    assert status.returncode == 0 and "daemon running" in status.stdout
    [post] = with_daemon.finish()
    assert "daemon stopped" in post.stdout
    assert with_daemon.run("ghcache daemon status || echo exit=$?").stdout.strip().endswith("exit=1")
