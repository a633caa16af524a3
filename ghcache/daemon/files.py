"""The daemon's files in its cache dir, and the lock that makes one daemon per cache dir.

Both `control` (the CLI side) and `server` (the daemon) need them; keeping them here lets the
imports point one way: control -> server -> files. Standard library only.
"""

from __future__ import annotations

import fcntl
import os

LOG_NAME = "daemon.log"
PID_NAME = "daemon.pid"
LOCK_NAME = "daemon.lock"
STATE_DIR = "daemon"  # identity key and other state of the libp2p host


class Locked(Exception):
    """Another daemon holds the cache dir's lock (running, or stopped with SIGSTOP): it keeps its
    peer id, so a second daemon would be its twin."""


class DaemonLock:
    """An exclusive flock on `<cache dir>/daemon.lock`, held for the daemon's whole life.

    The kernel releases it when the holder dies, however it dies, so a crash never leaves a lock
    behind; a stopped (SIGSTOP) or hung holder keeps it, and `daemon start` refuses."""

    def __init__(self, cache_dir: str) -> None:
        self.path = os.path.join(cache_dir, LOCK_NAME)
        self.fd = -1

    def acquire(self) -> None:
        """Take the lock or raise Locked at once; never waits."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Locked(self.path) from None
        self.fd = fd

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def held(cache_dir: str) -> bool:
    """Whether some live process holds the daemon lock of `cache_dir` (probed without keeping it)."""
    lock = DaemonLock(cache_dir)
    try:
        lock.acquire()
    except Locked:
        return True
    except OSError:  # no cache dir yet, or not ours to write: nobody holds a lock in it
        return False
    lock.release()
    return False


def recorded_pid(cache_dir: str) -> int | None:
    try:
        with open(os.path.join(cache_dir, PID_NAME), encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None
