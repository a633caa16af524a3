"""Small local records kept next to the spool: which issue a fingerprint maps to,
how many issues were opened in the last hour, and until when GitHub asked us to wait.

Every write is atomic (temp file + rename) so a kill at any point leaves either
the old or the new record, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HOUR = 3600.0


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read_json(path: Path, default: Any) -> Any:
    """The JSON in `path`, or `default` when it is missing or damaged."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


class Ledger:
    """The local state in one directory; callers hold the spool lock while writing."""

    def __init__(self, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.clock = clock

    def issue_for(self, fingerprint: str) -> int | None:
        return read_json(self.directory / "issues.json", {}).get(fingerprint)

    def remember_issue(self, fingerprint: str, number: int | None) -> None:
        issues = read_json(self.directory / "issues.json", {})
        if number is None:
            issues.pop(fingerprint, None)
        else:
            issues[fingerprint] = number
        write_json(self.directory / "issues.json", issues)

    def issues_opened_last_hour(self) -> int:
        return len(self._recent_openings())

    def count_opening(self) -> None:
        write_json(self.directory / "openings.json", [*self._recent_openings(), self.clock()])

    def wait_until(self) -> float:
        """Epoch seconds before which GitHub must not be called (0 when free)."""
        return float(read_json(self.directory / "backoff.json", {}).get("until", 0))

    def back_off(self, until: float) -> None:
        write_json(self.directory / "backoff.json", {"until": until})

    def remember_sent(self, requests: list[dict[str, Any]]) -> None:
        """What was sent last, for `autoheal preview` (already scrubbed, never a token)."""
        write_json(self.directory / "last-sent.json", requests)

    def last_sent(self) -> list[dict[str, Any]]:
        return read_json(self.directory / "last-sent.json", [])

    def _recent_openings(self) -> list[float]:
        now = self.clock()
        return [t for t in read_json(self.directory / "openings.json", []) if now - t < HOUR]
