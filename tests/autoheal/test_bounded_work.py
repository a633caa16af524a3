"""Hostile sizes cost bounded time: a 10 MB message is reported (cut) within the normal budget, and the
report is on disk, scrubbed, before anything slow (a token lookup, a GitHub that hangs) can run out the clock."""

from __future__ import annotations

import json
import time

from ahtest import autoheal_issues, run_script, spooled
from scrub.corpus import rand

from autoheal.report import BODY_LIMIT, size

TEN_MB = 10 * 1024 * 1024


def crash_code(secret_early: str, secret_late: str) -> str:
    """A message of 10 MB: a secret near its start (kept text) and one near its end (cut away)."""
    return f"""
        filler = ("lorem ipsum dolor " * 700_000)[: {TEN_MB}]
        raise ValueError("token={secret_early} " + filler + " password={secret_late}")
    """


def test_a_10_mb_message_is_filed_cut_within_the_normal_budget(hooked_venv, hub, env):
    early, late = f"ghp_{rand(36)}", rand(20)
    started = time.monotonic()
    done = run_script(hooked_venv, crash_code(early, late), {**env, "AUTOHEAL_TIMEOUT": "5"}, timeout=60)
    elapsed = time.monotonic() - started
    assert "ValueError" in done.stderr  # the program's own traceback, unchanged
    [issue] = autoheal_issues(hub)
    assert size(issue.body) <= BODY_LIMIT and len(issue.title) <= 256
    assert "characters cut" in issue.body and early not in issue.body and late not in issue.body
    # The budget is AUTOHEAL_TIMEOUT for delivery plus start-up and the program's own 10 MB traceback print;
    # before the caps, scrubbing this message alone took minutes.
    assert elapsed < 30, f"{elapsed:.1f} s"


def test_the_report_is_spooled_scrubbed_before_a_slow_github_runs_out_the_deadline(hooked_venv, hub, env):
    early, late = f"ghp_{rand(36)}", rand(20)
    hub.set_latency(20_000)  # every request hangs far past the deadline
    try:
        started = time.monotonic()
        run_script(hooked_venv, crash_code(early, late), {**env, "AUTOHEAL_TIMEOUT": "1"}, timeout=60)
        elapsed = time.monotonic() - started
    finally:
        hub.set_latency(0)
    [path] = spooled(env)
    data = json.loads(path.read_text())
    assert data["exc_type"] == "ValueError" and "characters cut" in data["message"]
    raw = path.read_text()
    assert early not in raw and late not in raw and "[REDACTED]" in raw
    assert elapsed < 25, f"{elapsed:.1f} s: the deadline did not hold"
