"""The differential oracle as a figure: how many generated gh invocations were checked, how long it took.

It runs the oracle's test (`tests/oracle`) with ORACLE_REPORT set, so the counts come from the same run
that asserted zero writes taken for reads. `BENCH_ORACLE_FULL=1` checks the full set of 2,400 (minutes);
by default the fixed subset of 240 that the default test run checks. The anchor is one real gh
invocation's share of the run: the run's time divided by the cases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import row

ROOT = Path(__file__).resolve().parents[1]


def run(results: list[dict]) -> None:
    full = os.environ.get("BENCH_ORACLE_FULL") == "1"
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "oracle.json"
        env = {**os.environ, "ORACLE_REPORT": str(report), "ORACLE_FULL": "1" if full else "0"}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/oracle"]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"bench_oracle: the oracle failed:\n{done.stdout[-3000:]}")
        summary = json.loads(report.read_text())
        terminal = json.loads(report.with_suffix(".terminal.json").read_text())
    cases, seconds = summary["cases"], summary["seconds"]
    tally = summary["policy / truth"]
    how = (
        f"`pytest tests/oracle` ({'full set' if full else 'default subset'}), real gh 2.102 against fakehub, 2 workers"
    )
    results.append(row("generated gh invocations checked", how, None, "", None, f"{cases}"))
    unsafe = str(tally.get("read / effect", 0))  # the test fails the run before a non-zero count gets here
    results.append(row("writes classified as reads (unsafe disagreements)", how, None, "", None, unsafe))
    results.append(row("oracle run", how, seconds * 1000, "", None))
    results.append(row("per invocation", how, seconds * 1000 / cases, "", None))
    results.append(row("policy / what gh did", how, None, "", None, ", ".join(f"{k}: {v}" for k, v in tally.items())))
    how = f"the same run's terminal mode: gh on a pty, {terminal['generated']} generated, reads and a sample run"
    results.append(row("invocations run on a terminal", how, None, "", None, str(terminal["run on a terminal"])))
    results.append(row("gh prompted", how, None, "", None, str(sum(terminal["prompted"].values()))))
    asked = terminal["shim on a terminal / truth"]
    unsafe = str(asked.get("read / effect", 0) + asked.get("read / prompted", 0))  # nonzero fails the test first
    results.append(row("cached on a terminal where gh asked or wrote (unsafe)", how, None, "", None, unsafe))
    results.append(row("terminal oracle run", how, terminal["seconds"] * 1000, "", None))
