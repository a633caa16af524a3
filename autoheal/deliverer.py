"""Delivery after the crash, by a detached process, so the crashing program exits without waiting for GitHub.

`start()` runs `python -S -c "...deliverer.main()"`:
- in its own session (setsid): the terminal's Ctrl-C and the hang-up when the crashing program's terminal
  or parent goes do not reach it;
- with stdin, stdout and stderr on /dev/null and no other descriptor (Python's are not inheritable), so no
  caller that reads the crashing program's output until EOF waits for it;
- with the crashing program's sys.path, so it imports the same autoheal and libraries; `-S` keeps the
  venv's start-up hook (and its sitecustomize) out of it, so it never reports on itself;
- for a bounded time (LIFETIME): the spool keeps what it could not send, for the next crash or `autoheal flush`.
One deliverer per spool at a time: it holds the spool lock, and one that cannot take it within LOCK_WAIT
exits, since the holder looks at the spool again after letting go (see pipeline.flush).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

LIFETIME = 120.0  # seconds; the sink's own waits (a label's issue to appear) fit well within it
LOCK_WAIT = 10.0  # covers a reporter inside the crashing process that is still finishing its turn
_ENTRY = "from autoheal.deliverer import main; main()"


def start() -> str | None:
    """Start a deliverer for this process's spool; None when started, else why not (the report stays spooled)."""
    if not sys.executable:
        return "no Python executable to deliver with"
    import subprocess

    try:
        subprocess.Popen(
            _command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            env=_environment(),
            start_new_session=True,
            close_fds=True,
        )
    except (OSError, ValueError) as e:
        return f"cannot start the background delivery ({type(e).__name__})"
    return None


def become() -> None:
    """Turn this (already detached, forked) process into a deliverer; returns only if exec failed."""
    if sys.executable:
        os.chdir("/")
        os.execve(sys.executable, _command(), _environment())


def _command() -> list[str]:
    return [sys.executable, "-S", "-c", _ENTRY]


def _environment() -> dict[str, str]:
    root = str(Path(__file__).resolve().parent.parent)  # holds `autoheal` (a directory, or the zipapp)
    path = [root, *(p for p in sys.path[1:] if p and p != root)]  # sys.path[0], the program's own dir, can shadow
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def main() -> None:
    """Deliver the spool until it is empty, GitHub says stop, or LIFETIME is up; never raises."""
    from . import config as config_module
    from .pipeline import flush

    try:
        config = config_module.load()
        if config.enabled and not config.dry_run:
            flush(config, time.monotonic() + LIFETIME, lock_wait=LOCK_WAIT)
    except Exception:  # nobody is left to tell; what is not delivered stays spooled
        pass
