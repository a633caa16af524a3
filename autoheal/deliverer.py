"""Delivery after the crash, by a detached process, so the crashing program exits without waiting for GitHub.

`start()` runs `python -S -c "...deliverer.main()"`:
- in its own session (setsid): the terminal's Ctrl-C and the hang-up when the crashing program's terminal
  or parent goes do not reach it;
- with stdin, stdout and stderr on /dev/null and no other descriptor (Python's are not inheritable), so no
  caller that reads the crashing program's output until EOF waits for it;
- with the crashing program's sys.path, so it imports the same autoheal and libraries; `-S` keeps the
  venv's start-up hook (and its sitecustomize) out of it, so it never reports on itself;
- for a bounded time (LIFETIME), trying again with back-off while a report stays spooled: the spool keeps
  what it could not send by then, for the next crash or `autoheal flush`.
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
RETRY_FIRST, RETRY_LAST = 2.0, 30.0  # seconds between tries while a report stays spooled
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
    """Deliver the spool until it is empty or LIFETIME is up, trying again (backing off) while GitHub is
    unreachable or another machine's issue is not visible yet; never raises."""
    from . import config as config_module
    from .pipeline import flush

    try:
        config = config_module.load()
        if not config.enabled or config.dry_run:
            return
        deadline = time.monotonic() + LIFETIME
        pause = RETRY_FIRST
        while True:
            results = flush(config, deadline, lock_wait=LOCK_WAIT)
            if not any(outcome.action == "spooled" for outcome in results.values()):
                return  # all delivered, or another deliverer holds the spool (it looks again when done)
            if time.monotonic() + pause >= deadline:
                return
            time.sleep(pause)
            pause = min(pause * 2, RETRY_LAST)
    except Exception:  # nobody is left to tell; what is not delivered stays spooled
        pass
