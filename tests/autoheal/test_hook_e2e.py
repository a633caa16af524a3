"""The installed hook, end to end: a real venv, real crashing processes, fakehub over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ahtest import (
    autoheal_cli,
    autoheal_issues,
    issue_json,
    occurrence_count,
    run_script,
    spooled,
    wait_for,
    wait_for_count,
    wait_for_delivery,
    wait_for_issues,
)


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """The default delivery: spooled at the crash, sent by a detached deliverer."""
    return {k: v for k, v in env.items() if k != "AUTOHEAL_DELIVERY"}


CRASH = """
    import logging
    logging.basicConfig(level=logging.INFO)
    log = logging.getLogger("app")

    def load(n):
        log.info("loading item %d", n)
        raise ValueError(f"item {n} is broken")

    def main():
        load(7)

    main()
"""

THREAD_CRASH = """
    import threading

    def work():
        raise RuntimeError("worker failed")

    t = threading.Thread(target=work, name="worker-1")
    t.start()
    t.join()
    print("main carries on")
"""


def test_crash_files_one_issue(hooked_venv, hub, env):
    result = run_script(hooked_venv, CRASH, env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == "autoheal: reporting in the background (`autoheal status` shows the issue)"
    [issue] = wait_for_issues(hub)
    assert issue.title == "ValueError: item 7 is broken"
    assert set(issue.labels) >= {"auto-heal", "cli-error"}
    data = issue_json(issue)
    assert data["exc_type"] == "ValueError" and data["source"] == "cli-error"
    assert [f["function"] for f in data["frames"]] == ["<module>", "main", "load"]
    assert f"<!-- autoheal:fingerprint={data['fingerprint']} -->" in issue.body
    assert "loading item 7" in issue.body  # the log ring buffer
    assert wait_for_delivery(env)
    [last] = json.loads(autoheal_cli(env, "status", "--json").stdout)["last_deliveries"]
    assert (last["action"], last["url"]) == ("created", issue_url(hub, issue))
    run_script(hooked_venv, CRASH, env)
    assert wait_for_count(hub, 2) == 2


def test_host_traceback_and_exit_code_unchanged(hooked_venv, plain_venv, hub, env):
    hooked = run_script(hooked_venv, CRASH, {**env, "AUTOHEAL_QUIET": "1"})
    plain = run_script(plain_venv, CRASH, env)
    assert (hooked.returncode, hooked.stdout, hooked.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    exits = "import sys\nsys.exit(3)\n"
    assert run_script(hooked_venv, exits, env).returncode == 3


def test_thread_crash_files_one_issue(hooked_venv, hub, env):
    result = run_script(hooked_venv, THREAD_CRASH, env)
    assert result.returncode == 0 and "main carries on" in result.stdout
    assert "RuntimeError: worker failed" in result.stderr  # the default thread traceback still printed
    [issue] = wait_for_issues(hub)
    assert set(issue.labels) >= {"auto-heal", "thread-error"}
    assert issue_json(issue)["context"] == {"thread": "worker-1"}


def test_same_crash_fifty_times_is_one_issue_with_the_count(hooked_venv, hub, env):
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda _: run_script(hooked_venv, CRASH, env, cwd=_own_dir(env)), range(50)))
    assert {r.returncode for r in results} == {1}
    assert wait_for_count(hub, 50) == 50
    [issue] = autoheal_issues(hub)
    assert sum("<!-- autoheal:occurrence " in c.body for c in issue.comments) == 3  # then this machine's tally
    assert sum("<!-- autoheal:tally " in c.body for c in issue.comments) == 1
    assert wait_for_delivery(env)


def test_crash_after_close_reopens_the_issue(hooked_venv, hub, env):
    run_script(hooked_venv, CRASH, env)
    [issue] = wait_for_issues(hub)
    assert wait_for_delivery(env)
    hub.state.set_issue_state(issue, "closed")
    run_script(hooked_venv, CRASH, env)
    assert wait_for(lambda: bool(issue.comments) and "reopened" in issue.comments[-1].body)  # after the reopen
    assert issue.state == "open" and len(autoheal_issues(hub)) == 1


def test_hub_down_spools_then_the_report_arrives_once_it_is_back(hooked_venv, hub, env):
    hub.set_outage(503)
    assert run_script(hooked_venv, CRASH, env).returncode == 1
    deliveries = Path(env["AUTOHEAL_STATE_DIR"]) / "deliveries.json"  # what `autoheal status` shows
    assert wait_for(lambda: deliveries.exists() and '"spooled"' in deliveries.read_text())  # found GitHub down
    assert len(spooled(env)) == 1 and autoheal_issues(hub) == []
    hub.set_outage(None)  # the deliverer tries again; `autoheal flush` waits for it or sends the report itself
    flushed = autoheal_cli(env, "flush")
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    [issue] = wait_for_issues(hub)
    assert wait_for_delivery(env)
    assert occurrence_count(issue) == 1 and len(autoheal_issues(hub)) == 1


def test_kill_during_delivery_is_delivered_exactly_once_later(hooked_venv, hub, env, home):
    hub.set_latency(2000)
    script = home / "app.py"
    script.write_text(CRASH.replace("\n    ", "\n"))
    child = subprocess.Popen(
        [str(hooked_venv / "bin" / "python"), str(script)],
        env={**env, "AUTOHEAL_TIMEOUT": "30", "AUTOHEAL_DELIVERY": "sync"},
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert wait_for(lambda: spooled(env))
    time.sleep(0.3)  # inside the first (slow) request
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    hub.set_latency(0)
    autoheal_cli(env, "flush")
    autoheal_cli(env, "flush")
    [issue] = autoheal_issues(hub)
    assert occurrence_count(issue) == 1 and spooled(env) == []


def test_exit_is_delayed_at_most_the_timeout_then_spooled(hooked_venv, hub, env):
    hub.set_latency(5000)
    started = time.monotonic()
    run_script(hooked_venv, CRASH, {**env, "AUTOHEAL_ENABLED": "0"})
    baseline = time.monotonic() - started  # the same crash without reporting, on this machine, now
    started = time.monotonic()
    result = run_script(hooked_venv, CRASH, {**env, "AUTOHEAL_TIMEOUT": "1", "AUTOHEAL_DELIVERY": "sync"})
    added = time.monotonic() - started - baseline
    assert result.returncode == 1
    assert added < 3.0, added  # the 1 s timeout plus slack; waiting for GitHub's answer would take 5 s
    assert "autoheal: spooled, not reported yet: " in result.stderr.splitlines()[-1]
    assert len(spooled(env)) == 1


def test_interrupts_and_exits_are_not_reported(hooked_venv, hub, env):
    run_script(hooked_venv, "raise KeyboardInterrupt\n", env)
    run_script(hooked_venv, "raise SystemExit('bye')\n", env)
    run_script(
        hooked_venv, "import threading\nt = threading.Thread(target=lambda: exit(2))\nt.start(); t.join()\n", env
    )
    assert hub.requests() == [] and spooled(env) == []


def test_disabled_or_misconfigured_hook_stays_silent(hooked_venv, plain_venv, hub, env):
    plain = run_script(plain_venv, CRASH, env)
    Path(env["AUTOHEAL_CONFIG"]).write_text("{not json")
    broken = run_script(hooked_venv, CRASH, env)
    off = run_script(hooked_venv, CRASH, {**env, "AUTOHEAL_ENABLED": "0", "AUTOHEAL_CONFIG": "/nonexistent"})
    for result in (broken, off):
        assert (result.returncode, result.stderr) == (plain.returncode, plain.stderr)
    assert hub.requests() == [] and spooled(env) == []


def issue_url(hub, issue) -> str:
    return f"http://127.0.0.1:{hub.port}/{issue.repo}/issues/{issue.number}"


def _own_dir(env: dict[str, str]) -> Path:
    """Each parallel run writes its script into its own folder."""
    import tempfile

    return Path(tempfile.mkdtemp(dir=env["HOME"]))
