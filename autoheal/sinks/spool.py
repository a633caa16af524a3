"""Reports waiting for delivery, one JSON file each, written atomically before any send.

File names sort oldest first.  A lock file serialises delivery between
processes and threads, so two crashes never race to open the same issue.
A report GitHub refuses for what it is (a 422, say) is set aside in `set-aside/`
with GitHub's reason, so it does not block the reports behind it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..report import Report, from_dict, to_dict
from ..state import write_atomic

MAX_FILES = 200
SET_ASIDE = "set-aside"


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, report: Report) -> Path:
        """Keep the report on disk; the oldest are dropped past MAX_FILES so a crash loop cannot fill it."""
        path = self.directory / f"{time.time_ns():020d}-{report.trace_id}.json"
        write_atomic(path, json.dumps(to_dict(report)).encode("utf-8"))
        for old in self.pending()[:-MAX_FILES]:
            self.remove(old)
        return path

    def pending(self) -> list[Path]:
        try:
            return sorted(p for p in self.directory.glob("*.json") if not p.name.startswith("."))
        except OSError:
            return []

    def idle(self) -> bool:
        """Nothing waits in the spool and no deliverer holds its lock: the last reporter is done."""
        if self.pending():
            return False
        with self.lock(0.0) as held:  # a deadline already past: one try, no waiting
            return held and not self.pending()

    def load(self, path: Path) -> Report | None:
        """The report in `path`, or None if it vanished (delivered by another process) or is damaged."""
        try:
            return from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def remove(self, path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass

    def set_aside(self, path: Path, report: Report, reason: str) -> Path:
        """Move a refused report out of the queue, keeping it (still scrubbed) with GitHub's reason."""
        kept = self.directory / SET_ASIDE / path.name
        record = {"reason": reason, "set_aside_at": time.time(), "report": to_dict(report)}
        write_atomic(kept, json.dumps(record).encode("utf-8"))
        self.remove(path)
        return kept

    def set_aside_reports(self) -> list[dict[str, str]]:
        """What was set aside and why, oldest first: file, fingerprint, title and reason."""
        found = []
        for path in sorted((self.directory / SET_ASIDE).glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                report = from_dict(record["report"])
                found.append(
                    {
                        "file": str(path),
                        "fingerprint": report.fingerprint,
                        "title": report.title,
                        "reason": record["reason"],
                    }
                )
            except (OSError, ValueError, TypeError, KeyError):
                found.append({"file": str(path), "fingerprint": "", "title": "", "reason": "unreadable"})
        return found

    @contextmanager
    def lock(self, deadline: float) -> Iterator[bool]:
        """Hold the delivery lock; yields False if it could not be taken before `deadline` (monotonic).

        A deadline already past tries once, without waiting.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            yield _acquire(fd, deadline)
        finally:
            os.close(fd)  # closing releases the lock


def _acquire(fd: int, deadline: float) -> bool:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
