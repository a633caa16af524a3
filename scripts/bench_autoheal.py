"""Benchmark autoheal: start-up cost of the hook, and how long a crash takes to be spooled or filed.

`run(results)` appends rows {what, how, median_ms, anchor, ratio} to `results`; the
anchor row of each comparison is measured in the same run, interleaved, on the same machine.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "scripts")]

from benchlib import interleaved_medians, row, timed
from fakehub import FakeHub

from autoheal import install

STARTUP_RUNS = 200  # the hook adds a few per cent to ~10 ms, in the noise of fewer runs on a busy machine
CRASH_RUNS = 10
CRASH = "def {n}():\n    raise ValueError('bench {n}')\n{n}()\n"


def run(results: list[dict]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-autoheal-") as tmp:
        work = Path(tmp)
        plain, hooked, customized = _venv(work / "plain"), _venv(work / "hooked"), _venv(work / "customized")
        install.install(hooked)
        install.install(customized, install.SITECUSTOMIZE_MODE)
        _startup(results, plain, hooked, customized)
        _crash_to_spool(results, work, plain, hooked)
        _crash_to_issue(results, work, plain, hooked)


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


def _crash_to_spool(results: list[dict], work: Path, plain: Path, hooked: Path) -> None:
    """GitHub unreachable (closed port): the crash ends with its report spooled."""
    env = _env(work / "spool-state", "http://127.0.0.1:9/api/v3", "ghp_" + "0" * 36)
    _crash_rows(results, work, plain, hooked, env, "crash to spooled report (GitHub unreachable)")


def _crash_to_issue(results: list[dict], work: Path, plain: Path, hooked: Path) -> None:
    with FakeHub(mode="plain") as hub:
        env = _env(work / "issue-state", hub.api_url, hub.default_token)
        _crash_rows(results, work, plain, hooked, env, "crash to filed issue (fakehub, new issue each run)")


def _crash_rows(results: list[dict], work: Path, plain: Path, hooked: Path, env: dict, what: str) -> None:
    numbers = itertools.count()

    def crash(venv: Path) -> float:
        """A crash never seen before (its own function name), so with the hook each run files a new issue."""
        script = work / f"crash_{next(numbers)}.py"
        script.write_text(CRASH.format(n=script.stem))
        return timed([str(venv / "bin/python"), str(script)], env)

    medians = interleaved_medians({venv: lambda venv=venv: crash(venv) for venv in (plain, hooked)}, CRASH_RUNS)
    base, hooked_ms = medians[plain], medians[hooked]
    how = f"whole crashing process, median of {CRASH_RUNS}; added time = {hooked_ms - base:.1f} ms"
    results.append(row(what, how, hooked_ms, "same crash without autoheal", base))


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
        print(f"{line['what']:<55} {line['median_ms']:>8.2f} ms  x{line['ratio']:<6} ({line['how']})")
