"""Single-flight across processes: concurrent identical misses run the real gh once.

The first process to take the key's lock fetches; the others wait on the lock, then find the
entry it stored. A dead holder releases its lock with its file descriptors.
"""

from __future__ import annotations

import fcntl
import os
import time

from .tiers.local import make_private_dirs


class SingleFlight:
    """`with SingleFlight(root, key, timeout) as locked:` holds the key's lock; `locked` is False when it
    could not be had within `timeout` (go on unlocked). A class rather than contextlib: the miss path
    serves peer hits too, and contextlib's imports cost milliseconds there."""

    def __init__(self, root: str, key: str, timeout: float) -> None:
        self.path = os.path.join(root, "locks", key + ".lock")
        self.timeout = timeout
        self.fd = -1

    def __enter__(self) -> bool:
        try:
            make_private_dirs(os.path.dirname(self.path))
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError:
            return False
        return _acquire(self.fd, self.timeout)

    def __exit__(self, *exc_info: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # releases the lock


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
