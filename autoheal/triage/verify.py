"""Re-run the recorded crash in a throw-away venv before and after a patch, without a shell.

Only a Python script inside the checkout is ever run, with the report's arguments as plain argv
elements and a minimal environment (no token reaches the user's code).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autoheal.report import Report, runnable

from . import deps
from .crash import locate, locate_dir, short_type
from .markdown import fenced
from .patterns import Fix

TIMEOUT = 60.0
TAIL = 2000  # characters of stderr kept in the log


@dataclass
class Run:
    argv: list[str]
    returncode: int
    stderr: str
    seconds: float

    def has_traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr


@dataclass
class Verification:
    status: str  # "verified", "unverifiable" (could not run it) or "failed" (ran, and the patch did not help)
    reason: str
    runs: list[tuple[str, Run]] = field(default_factory=list)

    def log(self) -> str:
        """Markdown: the outcome, then each run with its exit status and the tail of its stderr."""
        parts = [f"**{self.status}**: {self.reason}"]
        for label, run in self.runs:
            shown = " ".join(run.argv)
            parts += [
                "",
                f"{label}: `{shown}` exited {run.returncode} in {run.seconds:.2f} s",
                fenced(run.stderr[-TAIL:] or "(no stderr)", "text"),
            ]
        return "\n".join(parts)


def reproduction(report: Report, tree: Path) -> tuple[list[str], Path] | str:
    """(script and arguments, working directory) inside the checkout, or why the crash cannot be re-run."""
    if not runnable(report):
        return "the report came from the public JS endpoint: its content is data, never a command to run"
    if not report.argv or not report.argv[0].endswith(".py"):
        return "the report records no Python script to run"
    script = locate(tree, report.argv[0], report.cwd)
    if script is None:
        return f"the script {report.argv[0]!r} is not part of this checkout"
    return [str(script), *report.argv[1:]], locate_dir(tree, report.cwd)


def verify(report: Report, fix: Fix, tree: Path, timeout: float = TIMEOUT) -> Verification:
    """Run before, apply the fix to `tree`, run after. The fix is applied whatever the outcome."""
    plan = reproduction(report, tree)
    if isinstance(plan, str):
        fix.apply(tree)
        return Verification("unverifiable", plan)
    argv, cwd = plan
    with tempfile.TemporaryDirectory(prefix="autoheal-verify-") as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
        python = venv / "bin" / "python"
        problem = _install(python, tree)
        if problem:
            fix.apply(tree)
            return Verification("unverifiable", problem)
        before = _run([str(python), *argv], cwd, _env(venv, scratch), timeout)
        fix.apply(tree)
        problem = _install(python, tree) if fix.installs else None
        if problem:
            return Verification("unverifiable", problem, [("before", _shown(before, tree, scratch))])
        after = _run([str(python), *argv], cwd, _env(venv, scratch), timeout)
        runs = [("before", _shown(before, tree, scratch)), ("after", _shown(after, tree, scratch))]
    if not _reproduces(before, report):
        return Verification("failed", f"the recorded {report.exc_type} did not happen before the patch", runs)
    if not _passes(after, fix):
        return Verification("failed", "the run after the patch still fails", runs)
    return Verification(
        "verified", f"the recorded {report.exc_type} happened before the patch and is gone after it", runs
    )


def _reproduces(run: Run, report: Report) -> bool:
    names = (report.exc_type, short_type(report.exc_type))
    return run.has_traceback() and any(
        line.startswith(f"{name}:") or line == name for line in run.stderr.splitlines() for name in names
    )


def _passes(run: Run, fix: Fix) -> bool:
    if run.has_traceback():
        return False
    return run.returncode == 0 or bool(fix.clean_exit_naming and fix.clean_exit_naming in run.stderr)


def _install(python: Path, tree: Path) -> str | None:
    """Install the declared dependencies into the venv; the reason it could not, or None."""
    requirements = deps.declared(tree)
    if not requirements:
        return None
    if importlib.util.find_spec("pip") is None:
        return "pip is not available to install the project's dependencies"
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k.upper()}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", *requirements],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if done.returncode:
        return f"the dependencies could not be installed: {done.stderr.strip()[-500:]}"
    return None


def _env(venv: Path, scratch: str) -> dict[str, str]:
    return {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": scratch,
        "LANG": "C.UTF-8",
        "VIRTUAL_ENV": str(venv),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Run:
    """Run without a shell in its own process group, killed whole on timeout."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        stderr += f"\n(killed after {timeout:.0f} s)"
    return Run(argv, proc.returncode, stderr, time.monotonic() - started)


def _shown(run: Run, tree: Path, scratch: str) -> Run:
    """The run as a reader should see it: paths relative to the checkout, the throw-away venv as `<venv>`."""

    def clean(text: str) -> str:
        return text.replace(str(tree.resolve()) + "/", "").replace(scratch + "/venv", "<venv>")

    return Run(["python", *map(clean, run.argv[1:])], run.returncode, clean(run.stderr), run.seconds)
