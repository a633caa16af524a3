"""Runs the snippet's `node --test` suite under pytest, so `make test` covers it."""

from __future__ import annotations

import subprocess
from pathlib import Path

HERE = Path(__file__).parent


def test_node_suite_passes():
    run = subprocess.run(
        ["node", "--test", str(HERE)], capture_output=True, text=True, timeout=120, cwd=HERE.parent.parent
    )
    summary = [line for line in run.stdout.splitlines() if line.startswith(("# pass", "# fail", "not ok"))]
    assert run.returncode == 0, "\n".join(summary) + "\n" + run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout
