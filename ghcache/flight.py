"""Single-flight across processes: concurrent identical misses run the real gh once.

The first process to take the key's lock fetches; the others wait on the lock, then find the
entry it stored. A dead holder releases its lock with its file descriptors.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from typing import Iterator

from .tiers.local import make_private_dirs


@contextmanager
def single_flight(root: str, key: str, timeout: float) -> Iterator[bool]:
    """Hold the key's lock; yields False if it could not be had within `timeout` (go on unlocked)."""
    directory = os.path.join(root, "locks")
    try:
        make_private_dirs(directory)
        fd = os.open(os.path.join(directory, key + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield False
        return
    try:
        yield _acquire(fd, timeout)
    finally:
        os.close(fd)  # releases the lock


def _acquire(fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        except OSError:
            return False
