"""Benchmark autoheal: start-up cost of the hook, how much later a crash exits, how long until it is filed,
and what a CI matrix crashing at once leaves on GitHub.

`run(results)` appends rows {what, how, median_ms, anchor, ratio} to `results`; the
anchor row of each comparison is measured in the same run, interleaved, on the same machine.
"""

from __future__ import annotations

import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "scripts")]

from benchlib import interleaved_medians, row, timed
from fakehub import FakeHub

from autoheal import install
from autoheal.sinks.github import occurrences_on
from autoheal.sinks.spool import Spool

STARTUP_RUNS = 200  # the hook adds a few per cent to ~10 ms, in the noise of fewer runs on a busy machine
EXIT_RUNS = 20
ISSUE_RUNS = 5
MATRIX_MACHINES, MATRIX_WAVES = 12, 2
CRASH = "def {n}():\n    raise ValueError('bench {n}')\n{n}()\n"


def run(results: list[dict]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-autoheal-") as tmp:
        work = Path(tmp)
        plain, hooked, customized = _venv(work / "plain"), _venv(work / "hooked"), _venv(work / "customized")
        install.install(hooked)
        install.install(customized, install.SITECUSTOMIZE_MODE)
        _startup(results, plain, hooked, customized)
        _exit_delay(results, work, plain, hooked)
        _crash_to_issue(results, work, hooked)
        _matrix(results, work, hooked)


def _startup(results: list[dict], plain: Path, hooked: Path, customized: Path) -> None:
    """The plain venv and the hook in both modes (.pth and --sitecustomize), interleaved in one run."""
    medians = interleaved_medians(
        {
            venv: lambda venv=venv: timed([str(venv / "bin/python"), "-c", "pass"])
            for venv in (plain, hooked, customized)
        },
        STARTUP_RUNS,
    )
    base = medians[plain]
    how = f"python -c pass, whole process, median of {STARTUP_RUNS} interleaved rounds"
    anchor = "venv start-up without autoheal"
    results.append(row(anchor, how, base, anchor, base))
    results.append(row("venv start-up with autoheal hook (.pth)", how, medians[hooked], anchor, base))
    results.append(row("venv start-up with autoheal hook (--sitecustomize)", how, medians[customized], anchor, base))


def _exit_delay(results: list[dict], work: Path, plain: Path, hooked: Path) -> None:
    """How much later a crashing program exits with autoheal, GitHub answering after 0 and after 300 ms.

    Each hooked run starts once the previous one's reporter is done, so no run pays for another's delivery.
    """
    script = work / "crash_same.py"
    script.write_text(CRASH.format(n="settle"))
    for latency in (0, 300):
        with FakeHub(mode="plain", latency_ms=latency) as hub:
            env = _env(work / f"delay-{latency}", hub.api_url, hub.default_token)

            def hooked_run(env: dict = env) -> float:
                _wait_idle(env)
                return timed([str(hooked / "bin/python"), str(script)], env)

            medians = interleaved_medians(
                {"plain": lambda env=env: timed([str(plain / "bin/python"), str(script)], env), "hooked": hooked_run},
                EXIT_RUNS,
            )
            base = medians["plain"]
            how = f"whole crashing process, median of {EXIT_RUNS}; added {medians['hooked'] - base:.1f} ms"
            what = f"crash exit with autoheal, GitHub latency {latency} ms"
            results.append(row(what, how, medians["hooked"], "same crash without autoheal", base))


def _crash_to_issue(results: list[dict], work: Path, hooked: Path) -> None:
    """From the start of a crashing process until its issue is on GitHub (a new crash each run)."""
    numbers = itertools.count()
    for latency in (0, 300):
        with FakeHub(mode="plain", latency_ms=latency) as hub:
            env = _env(work / f"issue-{latency}", hub.api_url, hub.default_token)
            samples = []
            for _ in range(ISSUE_RUNS):
                script = work / f"crash_{next(numbers)}.py"
                script.write_text(CRASH.format(n=script.stem))
                title = f"ValueError: bench {script.stem}"
                started = time.perf_counter()
                subprocess.run([str(hooked / "bin/python"), str(script)], env=env, capture_output=True, check=False)
                _wait(
                    lambda title=title: any(i.title == title for i in hub.state.get_repo("octo/hello").issues.values())
                )
                samples.append((time.perf_counter() - started) * 1000)
            how = f"process start to issue filed (background delivery), median of {ISSUE_RUNS}"
            results.append(
                row(f"crash to filed issue, GitHub latency {latency} ms", how, statistics.median(samples), "", None)
            )


def _matrix(results: list[dict], work: Path, hooked: Path) -> None:
    """12 machines (own HOME each) crashing at the same moment, twice, against a search index 3 s behind."""
    script = work / "matrix_job.py"
    script.write_text(CRASH.format(n="matrix"))
    with FakeHub(mode="plain") as hub:
        hub.set_search_lag(3.0)
        machines = []
        for n in range(MATRIX_MACHINES):
            home = work / f"machine-{n}"
            env = _env(home, hub.api_url, hub.default_token)
            del env["AUTOHEAL_STATE_DIR"], env["AUTOHEAL_CONFIG"]
            machines.append(env)
        started = time.perf_counter()
        for wave in range(1, MATRIX_WAVES + 1):
            jobs = [
                subprocess.Popen([str(hooked / "bin/python"), str(script)], env=m, stderr=subprocess.DEVNULL)
                for m in machines
            ]
            for job in jobs:
                job.wait()
            _wait(lambda wave=wave: _occurrences(hub) >= MATRIX_MACHINES * wave, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        issues = [i for i in hub.state.get_repo("octo/hello").issues.values() if "autoheal:fingerprint=" in i.body]
        expected = MATRIX_MACHINES * MATRIX_WAVES
        value = f"{len(issues)} issue(s), {_occurrences(hub)} of {expected} occurrences counted"
        how = f"{MATRIX_MACHINES} processes, own HOME each, x {MATRIX_WAVES} waves, search lag 3 s; time: all counted"
        results.append(row("CI matrix crashing at once", how, elapsed, "", None, value=value))


def _occurrences(hub: FakeHub) -> int:
    issues = [i for i in hub.state.get_repo("octo/hello").issues.values() if "autoheal:fingerprint=" in i.body]
    return sum(occurrences_on([c.body for c in i.comments]) for i in issues)


def _wait_idle(env: dict) -> None:
    """Until the spool of `env` is empty and nobody holds its lock (the last reporter is done)."""
    _wait(Spool(Path(env["AUTOHEAL_STATE_DIR"]) / "spool").idle)


def _wait(condition, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)


def _env(state: Path, api_url: str, token: str) -> dict:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(state),
        "AUTOHEAL_STATE_DIR": str(state),
        "AUTOHEAL_CONFIG": str(state / "config.json"),
        "AUTOHEAL_REPO": "octo/hello",
        "AUTOHEAL_MAX_ISSUES_PER_HOUR": "1000",
        "GITHUB_API_URL": api_url,
        "GITHUB_TOKEN": token,
    }


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


if __name__ == "__main__":
    rows: list[dict] = []
    run(rows)
    for line in rows:
        print(
            f"{line['what']:<55} {line['median_ms']:>8.2f} ms  x{line['ratio']} {line['value'] or ''} ({line['how']})"
        )
