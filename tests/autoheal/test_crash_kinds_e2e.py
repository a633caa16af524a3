"""Every kind of crash is reported exactly once, and the host behaves as without autoheal (exit statuses,
signals, stdout). Real venvs with the hook, real child processes, fakehub."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import typer
from ahtest import (
    autoheal_issues,
    issue_json,
    occurrence_count,
    run_script,
    wait_for,
    wait_for_delivery,
    wait_for_issues,
)

LIBRARIES = str(Path(typer.__file__).resolve().parents[1])  # where the test venv has typer, click and rich

ASYNC_TASK = """
import asyncio, gc

async def fail():
    raise ValueError("task failed")

async def main():
    task = asyncio.ensure_future(fail())
    await asyncio.sleep(0.01)
    del task
    gc.collect()  # "Task exception was never retrieved"

asyncio.run(main())
"""

ASYNC_CALLBACK = """
import asyncio

def tick():
    raise KeyError("tick")

async def main():
    asyncio.get_running_loop().call_soon(tick)  # "Exception in callback"
    await asyncio.sleep(0.05)

asyncio.run(main())
"""

CHILD = """
import multiprocessing, sys

def work():
    raise RuntimeError("child failed")

if __name__ == "__main__":
    child = multiprocessing.get_context(sys.argv[1]).Process(target=work)
    child.start()
    child.join()
    sys.exit(child.exitcode)
"""

POOL = """
import multiprocessing, sys

def square(n):
    if n == 3:
        raise ValueError("three")
    return n * n

if __name__ == "__main__":
    with multiprocessing.get_context(sys.argv[1]).Pool(2) as pool:
        pool.map(square, range(5))
"""

ATEXIT = """
import atexit

def goodbye():
    raise OSError("cannot write the summary")

atexit.register(goodbye)
"""

UNRAISABLE = """
class Handle:
    def __del__(self):
        raise ValueError("close failed")

Handle()
"""

REPLACED_HOOK = """
import sys, traceback

def my_hook(kind, value, tb):
    sys.stderr.write("my app failed:\\n" + "".join(traceback.format_exception(kind, value, tb)))

sys.excepthook = my_hook  # not chained: IPython-style hosts do this

def run():
    raise LookupError("no such profile")

run()
"""

TYPER_RICH = """
import typer

app = typer.Typer(pretty_exceptions_enable=True)

@app.command()
def main(name: str = "x"):
    raise ZeroDivisionError("typer command failed")

app()
"""

RICH_INSTALLED = """
from rich.traceback import install
install()

def run():
    raise TimeoutError("rich hook")

run()
"""

RECURSION = """
def down(n):
    return down(n + 1)

down(0)
"""


def _one_issue(hub, source: str, env: dict[str, str] | None = None):
    """The one issue of the crash; with background delivery, once every deliverer of the spool is done."""
    if env is not None and env.get("AUTOHEAL_DELIVERY") == "background":
        wait_for_issues(hub)
        assert wait_for_delivery(env)
    [issue] = autoheal_issues(hub)
    assert source in issue.labels, issue.labels
    assert occurrence_count(issue) == 1
    return issue


@pytest.mark.parametrize(
    ("code", "source", "exc_type"),
    [
        (ASYNC_TASK, "asyncio-error", "ValueError"),
        (ASYNC_CALLBACK, "asyncio-error", "KeyError"),
        (ATEXIT, "atexit-error", "OSError"),
        (REPLACED_HOOK, "cli-error", "LookupError"),
        (RECURSION, "cli-error", "RecursionError"),
    ],
    ids=["asyncio-task", "asyncio-callback", "atexit", "replaced-excepthook", "deep-recursion"],
)
@pytest.mark.parametrize("delivery", ["sync", "background"])
def test_each_crash_kind_is_reported_once(hooked_venv, plain_venv, hub, env, code, source, exc_type, delivery):
    env = {**env, "AUTOHEAL_DELIVERY": delivery}
    hooked = run_script(hooked_venv, code, {**env, "AUTOHEAL_QUIET": "1"})
    plain = run_script(plain_venv, code, env)
    assert (hooked.returncode, hooked.stdout) == (plain.returncode, plain.stdout)
    issue = _one_issue(hub, source, env)
    assert issue_json(issue)["exc_type"] == exc_type


@pytest.mark.parametrize("delivery", ["sync", "background"])
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_multiprocessing_child_crash_is_reported_once(hooked_venv, hub, env, method, delivery):
    env = {**env, "AUTOHEAL_DELIVERY": delivery}
    result = run_script(hooked_venv, CHILD, env, args=(method,))
    assert result.returncode == 1 and "RuntimeError: child failed" in result.stderr
    issue = _one_issue(hub, "process-error", env)
    assert issue_json(issue)["context"]["process"].endswith("Process-1")


@pytest.mark.parametrize("method", ["fork", "spawn"])
@pytest.mark.parametrize("delivery", ["sync", "background"])
def test_a_pool_task_error_is_one_report_from_the_parent(hooked_venv, hub, env, method, delivery):
    env = {**env, "AUTOHEAL_DELIVERY": delivery}
    result = run_script(hooked_venv, POOL, env, args=(method,))
    assert result.returncode == 1
    issue = _one_issue(hub, "cli-error", env)  # the workers, which survived, report nothing
    assert issue_json(issue)["exc_type"] == "ValueError"


def test_unraisable_errors_are_reported_only_when_switched_on(hooked_venv, hub, env):
    assert run_script(hooked_venv, UNRAISABLE, env).returncode == 0
    assert autoheal_issues(hub) == []
    assert run_script(hooked_venv, UNRAISABLE, {**env, "AUTOHEAL_UNRAISABLE": "1"}).returncode == 0
    _one_issue(hub, "unraisable-error")


@pytest.mark.parametrize("code", [TYPER_RICH, RICH_INSTALLED], ids=["typer-rich", "rich-traceback-install"])
def test_hosts_that_replace_the_excepthook_after_start_up(hooked_venv, plain_venv, hub, env, code):
    libraries = {**env, "PYTHONPATH": LIBRARIES, "COLUMNS": "100", "AUTOHEAL_QUIET": "1"}
    hooked = run_script(hooked_venv, code, libraries)
    plain = run_script(plain_venv, code, libraries)
    assert (hooked.returncode, hooked.stdout) == (plain.returncode, plain.stdout) == (1, "")
    assert hooked.stderr == plain.stderr  # the host's own pretty traceback, untouched
    _one_issue(hub, "cli-error")


def test_a_deep_recursion_is_reported_within_the_time_budget(hooked_venv, hub, env):
    started = time.monotonic()
    run_script(hooked_venv, RECURSION, {**env, "AUTOHEAL_TIMEOUT": "3"})
    assert time.monotonic() - started < 10
    assert len(issue_json(_one_issue(hub, "cli-error"))["frames"]) <= 200


# -- the host's exit statuses, signals and stdout ---------------------------------------------------------
SLEEPER = """
import pathlib, sys, time
pathlib.Path(sys.argv[1]).write_text("ready")
time.sleep(60)
"""


def _interrupted(venv: Path, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Ctrl-C as a terminal sends it: a real SIGINT to a sleeping program."""
    ready = tmp_path / f"ready-{venv.parent.name}"
    script = tmp_path / "sleeper.py"
    script.write_text(SLEEPER)
    child = subprocess.Popen(
        [str(venv / "bin/python"), str(script), str(ready)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert wait_for(ready.exists, timeout=30)
    os.kill(child.pid, signal.SIGINT)
    stdout, stderr = child.communicate(timeout=30)
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def test_ctrl_c_and_exits_keep_their_status_and_output(hooked_venv, plain_venv, hub, env, tmp_path):
    hooked, plain = _interrupted(hooked_venv, env, tmp_path), _interrupted(plain_venv, env, tmp_path)
    assert hooked.returncode == plain.returncode == -signal.SIGINT
    assert (hooked.stdout, hooked.stderr) == (plain.stdout, plain.stderr.replace(str(plain_venv), str(hooked_venv)))
    for code in (
        "raise KeyboardInterrupt\n",
        "import sys\nsys.exit(3)\n",
        "import sys\nsys.exit('bye')\n",
        "raise SystemExit(0)\n",
        "import threading\nt = threading.Thread(target=lambda: exit(2))\nt.start(); t.join()\n",
    ):
        hooked, plain = run_script(hooked_venv, code, env), run_script(plain_venv, code, env)
        assert (hooked.returncode, hooked.stdout, hooked.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert run_script(hooked_venv, "raise KeyboardInterrupt\n", env).returncode == -signal.SIGINT
    assert hub.requests() == []


def test_nothing_is_written_to_stdout(hooked_venv, hub, env):
    code = "print('only this')\nraise ValueError('boom')\n"
    for delivery in ("sync", "background"):
        result = run_script(hooked_venv, code, {**env, "AUTOHEAL_DELIVERY": delivery})
        assert (result.returncode, result.stdout) == (1, "only this\n")
        assert result.stderr.splitlines()[-1].startswith("autoheal: ")
