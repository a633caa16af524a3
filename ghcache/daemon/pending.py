"""Writes the shim could not tell its daemon (it was down), queued for the daemon's next start.

Without it a write made while this runner's daemon is down never leaves the runner: the other
runners keep serving the shared copies it made stale until they expire. The queue is kept only where
a peer daemon has run (its state dir exists), is private to us, bounded, and read once: the daemon
turns each line into a tombstone for the namespace when it starts. Standard library only (the shim's
write path writes it).
"""

from __future__ import annotations

import os

from .files import STATE_DIR

PENDING_NAME = "pending-writes"  # in the daemon's state dir
MAX_PENDING_BYTES = 128 * 1024  # past this, more writes are not queued: their copies go stale by TTL
MAX_FIELD = 256


def queue(cache_dir: str, host: str, repo: str, classes: tuple[str, ...], when: float) -> bool:
    """Append one write for the daemon's next start; False when no daemon ever ran here or it cannot be kept."""
    state = os.path.join(cache_dir, STATE_DIR)
    fields = [repr(float(when)), host, repo, ",".join(classes)]
    if not os.path.isdir(state) or os.path.islink(state) or any(not _clean(field) for field in fields):
        return False
    path = os.path.join(state, PENDING_NAME)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        return False
    try:
        if os.fstat(fd).st_size >= MAX_PENDING_BYTES:
            return False
        os.write(fd, ("\t".join(fields) + "\n").encode())  # one small O_APPEND write: whole between processes
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def drain(cache_dir: str) -> list[tuple[str, str, tuple[str, ...], float]]:
    """The queued writes (host, repo, classes, time), taken once: the file is moved aside, then read."""
    path = os.path.join(cache_dir, STATE_DIR, PENDING_NAME)
    taken = f"{path}.{os.getpid()}"
    try:
        os.replace(path, taken)
    except OSError:
        return []
    try:
        fd = os.open(taken, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            data = os.read(fd, MAX_PENDING_BYTES + 4096)
        finally:
            os.close(fd)
    except OSError:
        return []
    finally:
        try:
            os.unlink(taken)
        except OSError:
            pass
    found = []
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not all(_clean(part) for part in parts):
            continue
        try:
            when = float(parts[0])
        except ValueError:
            continue
        if when == when and abs(when) != float("inf"):
            found.append((parts[1], parts[2], tuple(name for name in parts[3].split(",") if name), when))
    return found


def _clean(field: str) -> bool:
    return 0 < len(field) <= MAX_FIELD and "\t" not in field and "\n" not in field and "\r" not in field
