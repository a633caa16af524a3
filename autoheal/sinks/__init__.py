"""Where reports go: each sink has one method, `deliver(report) -> Outcome`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..report import Report


@dataclass(frozen=True)
class Outcome:
    """What happened to one report.

    action: created | commented | counted | reopened | duplicate (already delivered
    earlier, found by trace id) | spooled | dry-run | disabled | skipped (a spool
    file another process delivered meanwhile)
    """

    action: str
    fingerprint: str = ""
    issue: int | None = None
    url: str | None = None
    reason: str | None = None

    @property
    def delivered(self) -> bool:
        return self.action in ("created", "commented", "counted", "reopened", "duplicate")


class Sink(Protocol):
    def deliver(self, report: Report) -> Outcome: ...
