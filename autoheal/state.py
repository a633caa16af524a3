"""Small local records kept next to the spool: which issue a fingerprint maps to, which fingerprint
labels this machine won but has not opened the issue for yet, how many issues were opened in the last
hour, until when GitHub asked us to wait, and this machine's id (it names the machine's tally comments).

Every write is atomic (temp file + rename) so a kill at any point leaves either
the old or the new record, never half of one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HOUR = 3600.0
RECENT_DELIVERIES = 20


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not tempfile.mkstemp: importing tempfile would cost a crashing program more than the write itself.
    tmp = path.parent / f".tmp-{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
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
        number = self._issue_record(fingerprint).get("number")
        return number if isinstance(number, int) else None

    def issue_url(self, fingerprint: str) -> str | None:
        url = self._issue_record(fingerprint).get("url")
        return url if isinstance(url, str) else None

    def remember_issue(self, fingerprint: str, number: int | None, url: str | None = None) -> None:
        issues = read_json(self.directory / "issues.json", {})
        if number is None:
            issues.pop(fingerprint, None)
        else:
            issues[fingerprint] = {"number": number, "url": url}
        write_json(self.directory / "issues.json", issues)

    def remember_claim(self, fingerprint: str) -> None:
        """This machine created the fingerprint's label: opening the issue is its job, even after a kill."""
        self._update("claims.json", lambda claims: {**claims, fingerprint: self.clock()})

    def claimed(self, fingerprint: str) -> bool:
        return fingerprint in read_json(self.directory / "claims.json", {})

    def forget_claim(self, fingerprint: str) -> None:
        self._update("claims.json", lambda claims: {k: v for k, v in claims.items() if k != fingerprint})
        self._update("orphans.json", lambda seen: {k: v for k, v in seen.items() if k != fingerprint})

    def orphan_age(self, fingerprint: str) -> float:
        """Seconds since this machine first found the fingerprint's label without an issue (0 the first time)."""
        seen = read_json(self.directory / "orphans.json", {})
        if fingerprint not in seen:
            self._update("orphans.json", lambda seen: {**seen, fingerprint: self.clock()})
            return 0.0
        return max(0.0, self.clock() - float(seen[fingerprint]))

    def label_exists(self, name: str) -> bool:
        return name in read_json(self.directory / "labels.json", [])

    def remember_label(self, name: str) -> None:
        self._update("labels.json", lambda names: sorted({*names, name}), [])

    def machine_id(self) -> str:
        """A random id made once per state directory; it never says anything about the machine."""
        known = read_json(self.directory / "machine.json", {}).get("id")
        if isinstance(known, str) and known:
            return known
        made = os.urandom(16).hex()
        write_json(self.directory / "machine.json", {"id": made})
        return made

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

    def remember_deliveries(self, outcomes: list[dict[str, Any]]) -> None:
        """Keep the newest outcomes (what became of each report), stamped with the time."""
        stamped = [{**o, "at": self.clock()} for o in outcomes]
        self._update("deliveries.json", lambda old: [*old, *stamped][-RECENT_DELIVERIES:], [])

    def deliveries(self) -> list[dict[str, Any]]:
        found = read_json(self.directory / "deliveries.json", [])
        return [d for d in found if isinstance(d, dict)] if isinstance(found, list) else []

    def last_sent(self) -> list[dict[str, Any]]:
        found = read_json(self.directory / "last-sent.json", [])
        return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []

    def _issue_record(self, fingerprint: str) -> dict[str, Any]:
        record = read_json(self.directory / "issues.json", {}).get(fingerprint)
        if isinstance(record, int):  # written by an earlier version: the number alone
            return {"number": record}
        return record if isinstance(record, dict) else {}

    def _update(self, name: str, change: Callable[[Any], Any], default: Any = None) -> None:
        """Rewrite one record file; callers hold the spool lock, so no other writer interleaves."""
        path = self.directory / name
        write_json(path, change(read_json(path, {} if default is None else default)))

    def _recent_openings(self) -> list[float]:
        now = self.clock()
        return [t for t in read_json(self.directory / "openings.json", []) if now - t < HOUR]
