"""Benchmark autoheal: start-up cost of the hook, and how long a crash takes to be spooled or filed.

`run(results)` appends rows {what, how, median_ms, anchor, ratio} to `results`; the
anchor row of each comparison is measured in the same run, interleaved, on the same machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from autoheal import install  # noqa: E402
from fakehub import FakeHub  # noqa: E402

STARTUP_RUNS = 40
CRASH_RUNS = 10
CRASH = "def crash_{n}():\n    raise ValueError('bench crash {n}')\ncrash_{n}()\n"


def run(results: list[dict]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-autoheal-") as tmp:
        work = Path(tmp)
        plain, hooked = _venv(work / "plain"), _venv(work / "hooked")
        install.install(hooked)
        _startup(results, plain, hooked)
        _crash_to_spool(results, work, plain, hooked)
        _crash_to_issue(results, work, plain, hooked)


def _startup(results: list[dict], plain: Path, hooked: Path) -> None:
    times: dict[Path, list[float]] = {plain: [], hooked: []}
    for _ in range(STARTUP_RUNS):
        for venv in (plain, hooked):  # interleaved, so drift hits both alike
            times[venv].append(_timed([str(venv / "bin/python"), "-c", "pass"], {}))
    base, with_hook = statistics.median(times[plain]), statistics.median(times[hooked])
    how = f"python -c pass, whole process, median of {STARTUP_RUNS}"
    results.append(_row("venv start-up without autoheal", how, base, "venv start-up without autoheal", base))
    results.append(_row("venv start-up with autoheal hook", how, with_hook, "venv start-up without autoheal", base))


def _crash_to_spool(results: list[dict], work: Path, plain: Path, hooked: Path) -> None:
    """GitHub unreachable (closed port): the crash ends with its report spooled."""
    env = _env(work / "spool-state", "http://127.0.0.1:9/api/v3", "ghp_" + "0" * 36)
    _crash_rows(results, work, plain, hooked, env, "crash to spooled report (GitHub unreachable)")


def _crash_to_issue(results: list[dict], work: Path, plain: Path, hooked: Path) -> None:
    with FakeHub(mode="plain") as hub:
        env = _env(work / "issue-state", hub.api_url, hub.default_token)
        _crash_rows(results, work, plain, hooked, env, "crash to filed issue (fakehub, new issue each run)")


def _crash_rows(results: list[dict], work: Path, plain: Path, hooked: Path, env: dict, what: str) -> None:
    times: dict[Path, list[float]] = {plain: [], hooked: []}
    for n in range(CRASH_RUNS):
        script = work / f"crash_{n}.py"
        script.write_text(CRASH.format(n=n))
        for venv in (plain, hooked):
            times[venv].append(_timed([str(venv / "bin/python"), str(script)], env))
    base, hooked_ms = statistics.median(times[plain]), statistics.median(times[hooked])
    how = f"whole crashing process, median of {CRASH_RUNS}; added time = {hooked_ms - base:.1f} ms"
    results.append(_row(what, how, hooked_ms, "same crash without autoheal", base))


def _env(state: Path, api_url: str, token: str) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": str(state), "AUTOHEAL_STATE_DIR": str(state),
            "AUTOHEAL_CONFIG": str(state / "config.json"), "AUTOHEAL_REPO": "octo/hello",
            "AUTOHEAL_MAX_ISSUES_PER_HOUR": "1000", "GITHUB_API_URL": api_url, "GITHUB_TOKEN": token}


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def _timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env or None, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def _row(what: str, how: str, median_ms: float, anchor: str, anchor_ms: float) -> dict:
    return {"what": what, "how": how, "median_ms": round(median_ms, 2), "anchor": anchor,
            "ratio": round(median_ms / anchor_ms, 3)}


if __name__ == "__main__":
    rows: list[dict] = []
    run(rows)
    for row in rows:
        print(f"{row['what']:<55} {row['median_ms']:>8.2f} ms  x{row['ratio']:<6} ({row['how']})")
