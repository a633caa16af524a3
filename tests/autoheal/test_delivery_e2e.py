"""Delivery end to end: many machines crashing at once, exits that do not wait for GitHub, GitHub Actions,
and reports GitHub refuses. Real venvs, real processes, fakehub over HTTP."""

from __future__ import annotations

import os
import secrets
import signal
import statistics
import subprocess
import textwrap
import time
from pathlib import Path

from ahtest import (
    autoheal_cli,
    autoheal_issues,
    occurrence_count,
    run_script,
    spooled,
    wait_for_count,
    wait_for_delivery,
    wait_for_issues,
)

from autoheal.capture import capture_exception
from autoheal.pipeline import spool

CRASH = """
def settle(order):
    raise RuntimeError(f"order {order} cannot be settled")

settle(41)
"""


def _background(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "AUTOHEAL_DELIVERY"}


def _machine(env: dict[str, str], root: Path, n: int) -> dict[str, str]:
    """One machine of a CI matrix: its own HOME, so its own config, state and spool (nothing shared)."""
    home = root / f"machine-{n}"
    home.mkdir()
    machine = {k: v for k, v in _background(env).items() if k not in ("AUTOHEAL_STATE_DIR", "AUTOHEAL_CONFIG")}
    return {**machine, "HOME": str(home), "XDG_STATE_HOME": "", "XDG_CONFIG_HOME": ""}


def _state_of(machine: dict[str, str]) -> dict[str, str]:
    return {"AUTOHEAL_STATE_DIR": str(Path(machine["HOME"]) / ".local" / "state" / "autoheal")}


def test_a_matrix_crashing_at_once_files_one_issue_and_counts_every_occurrence(hooked_venv, hub, env, tmp_path):
    """12 machines x 2 waves, all at the same moment, against a search index that lags by 3 s."""
    hub.set_search_lag(3.0)
    script = tmp_path / "job.py"
    script.write_text(CRASH)
    machines = [_machine(env, tmp_path, n) for n in range(12)]
    for wave in (1, 2):
        jobs = [
            subprocess.Popen(
                [str(hooked_venv / "bin/python"), str(script)],
                env=m,
                cwd=m["HOME"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for m in machines
        ]
        assert {job.wait(timeout=60) for job in jobs} == {1}
        assert wait_for_count(hub, 12 * wave, timeout=120) == 12 * wave
    assert all(wait_for_delivery(_state_of(m), timeout=60) for m in machines)
    [issue] = autoheal_issues(hub)
    assert occurrence_count(issue) == 24
    assert sum(label.startswith("autoheal:") for label in issue.labels) == 1


def test_a_crash_exits_at_most_50_ms_later_than_without_autoheal_at_300_ms_latency(
    hooked_venv, plain_venv, hub, env, tmp_path
):
    hub.set_latency(300)
    background = _background(env)
    script = tmp_path / "crash.py"
    script.write_text(CRASH)

    def exit_time(venv: Path, run_env: dict[str, str]) -> float:
        started = time.perf_counter()
        done = subprocess.run([str(venv / "bin/python"), str(script)], env=run_env, capture_output=True, check=False)
        assert done.returncode == 1
        return time.perf_counter() - started

    def paired() -> tuple[float, float]:
        assert wait_for_delivery(background)  # the last reporter is done: each run is measured on its own
        return exit_time(plain_venv, background), exit_time(hooked_venv, background)

    pairs = [paired() for _ in range(11)]
    added = statistics.median(hooked - plain for plain, hooked in pairs)
    assert added < 0.050, f"added {added * 1000:.1f} ms"
    [issue] = wait_for_issues(hub)  # and every occurrence still arrives
    assert wait_for_count(hub, 11, timeout=60) == 11


def _kill_leftovers(tracking_id: str) -> int:
    """What the Actions runner does when a job ends: kill every process that carries the job's RUNNER_TRACKING_ID."""
    killed = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"RUNNER_TRACKING_ID={tracking_id}".encode() in environ.split(b"\0"):
            try:
                os.kill(int(pid), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def _actions_job(
    venv: Path, env: dict[str, str], tmp_path: Path, steps: list[str], **extra: str
) -> list[subprocess.CompletedProcess[str]]:
    """The `run:` steps of one job, each in bash with the variables the runner sets; then the job ends."""
    tracking_id = "github_" + secrets.token_hex(8)
    (tmp_path / "job.py").write_text(CRASH)
    step_env = {**env, "GITHUB_ACTIONS": "true", "CI": "true", "RUNNER_TRACKING_ID": tracking_id, **extra}
    done = [
        subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step],
            cwd=tmp_path,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for step in steps
    ]
    _kill_leftovers(tracking_id)
    return done


def test_in_github_actions_the_report_is_filed_before_the_job_kills_leftover_processes(hooked_venv, hub, env, tmp_path):
    hub.set_latency(300)
    [done] = _actions_job(hooked_venv, _background(env), tmp_path, [f"{hooked_venv}/bin/python job.py"])
    assert done.returncode == 1
    [issue] = autoheal_issues(hub)  # already there: delivered before the program exited
    url = f"http://127.0.0.1:{hub.port}/octo/hello/issues/{issue.number}"
    assert done.stderr.splitlines()[-1] == f"autoheal: reported as {url}"
    assert spooled(env) == []


def test_in_actions_autoheal_flush_in_a_later_step_sends_what_is_left(hooked_venv, hub, env, tmp_path):
    """Delivery forced into the background, which the runner would kill with the job: a final
    `autoheal flush` step (`if: always()`) waits for the deliverer or sends the report itself."""
    hub.set_latency(300)
    launcher = f"PYTHONPATH={Path(__file__).resolve().parents[2]} {os.sys.executable} -m autoheal"
    crash, flush = _actions_job(
        hooked_venv,
        _background(env),
        tmp_path,
        [f"{hooked_venv}/bin/python job.py", f"{launcher} flush"],
        AUTOHEAL_DELIVERY="background",
    )
    assert crash.returncode == 1 and flush.returncode == 0, flush.stdout + flush.stderr
    [issue] = autoheal_issues(hub)
    assert occurrence_count(issue) == 1 and spooled(env) == []


def test_a_report_github_refuses_is_set_aside_and_the_others_are_delivered(hub, env, load_config):
    config = load_config()
    hub.set_outage(503)
    refused = _report("", "")  # no type and no message: an empty title, which GitHub answers with 422
    spool(refused, config)
    spool(_report("ValueError", "fine"), config)
    hub.set_outage(None)
    flushed = autoheal_cli(env, "flush")
    assert flushed.returncode == 1  # something is left: the refused report
    assert "set-aside" in flushed.stdout and "created" in flushed.stdout
    assert [i.title for i in autoheal_issues(hub)] == ["ValueError: fine"]
    status = __import__("json").loads(autoheal_cli(env, "status", "--json").stdout)
    [aside] = status["set_aside"]
    assert "GitHub answered 422" in aside["reason"] and status["spooled"] == 0
    assert autoheal_cli(env, "flush").returncode == 1  # still left, until someone looks at it


def _report(exc_type: str, message: str):
    try:
        raise ValueError(message)
    except ValueError as e:
        report = capture_exception(e)
    from dataclasses import replace

    return replace(report, exc_type=exc_type)


def test_quiet_silences_the_line(hooked_venv, plain_venv, hub, env):
    code = textwrap.dedent(CRASH)
    quiet = run_script(hooked_venv, code, {**_background(env), "AUTOHEAL_QUIET": "1"})
    plain = run_script(plain_venv, code, env)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert wait_for_issues(hub)
