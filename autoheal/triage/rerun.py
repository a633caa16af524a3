"""Run a reproduction in a throw-away venv and record its uncaught exception as data, not as stderr text.

A `.pth` file in the venv loads a tiny recorder (standard library only) before the program starts; on an
uncaught exception (main thread or another thread) it writes type, message and frames as JSON, the same
fields `autoheal.capture` records, so the re-run can be fingerprinted exactly like the report was.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from autoheal.capture import is_in_app
from autoheal.report import Frame

RECORD_VARIABLE = "AUTOHEAL_VERIFY_RECORD"
RECORDER = "_autoheal_verify_recorder"
_RECORDER_SOURCE = '''
"""Written by autoheal triage into its throw-away verification venv: records the first uncaught exception."""
import json, linecache, os, sys, threading, traceback

_path = os.environ.pop("AUTOHEAL_VERIFY_RECORD", "")


def _record(exc):
    if not _path or os.path.exists(_path):
        return
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ == "builtins" else cls.__module__ + "." + cls.__qualname__
    try:
        message = str(exc)
    except Exception:
        message = "<unprintable " + cls.__name__ + ">"
    frames = []
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        frames.append({
            "module": str(frame.f_globals.get("__name__", "?")),
            "function": getattr(code, "co_qualname", code.co_name),
            "filename": code.co_filename,
            "lineno": lineno,
            "context_line": linecache.getline(code.co_filename, lineno).strip() or None,
        })
    with open(_path, "w", encoding="utf-8") as out:
        json.dump({"exc_type": name, "message": message, "frames": frames}, out)


_sys_hook, _thread_hook = sys.excepthook, threading.excepthook


def _on_main(kind, exc, tb):
    _record(exc)
    _sys_hook(kind, exc, tb)


def _on_thread(args):
    if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
        _record(args.exc_value)
    _thread_hook(args)


if _path:
    sys.excepthook, threading.excepthook = _on_main, _on_thread
'''


@dataclass
class Crash:
    """The uncaught exception of a re-run, in the report's terms."""

    exc_type: str
    message: str
    frames: list[Frame]


@dataclass
class Run:
    argv: list[str]
    returncode: int
    stderr: str
    seconds: float
    crash: Crash | None  # None: no uncaught exception


def add_recorder(venv: Path) -> None:
    """Put the recorder into the venv's site-packages, loaded by a `.pth` line at every start-up."""
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{RECORDER}.py").write_text(_RECORDER_SOURCE.lstrip(), encoding="utf-8")
    (site / f"{RECORDER}.pth").write_text(f"import {RECORDER}\n", encoding="utf-8")


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float, record: Path) -> Run:
    """Run without a shell in its own process group, killed whole on timeout; the crash it recorded."""
    record.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env={**env, RECORD_VARIABLE: str(record)},
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
    return Run(argv, proc.returncode, stderr, time.monotonic() - started, _read(record))


def _read(record: Path) -> Crash | None:
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        frames = [Frame(**f, in_app=is_in_app(f["filename"])) for f in data["frames"]]
        return Crash(str(data["exc_type"]), str(data["message"]), frames)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return Crash("(unreadable crash record)", "", [])
