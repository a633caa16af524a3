"""The last log lines of the process, kept in a bounded ring buffer.

Records are taken where `Logger.callHandlers` hands them out, instead of through
a handler on the root logger: a root handler would turn the host's
`logging.basicConfig()` into a no-op and silence the last-resort stderr output.
"""

from __future__ import annotations

import logging
import time
from collections import deque

CAPACITY = 1000
_lines: deque[str] = deque(maxlen=CAPACITY)


def attach() -> None:
    """Start recording; calling it again changes nothing."""
    original = logging.Logger.callHandlers
    if getattr(original, "autoheal_recorder", False):
        return

    def callHandlers(self: logging.Logger, record: logging.LogRecord) -> None:  # noqa: N802 - patched name
        _remember(record)
        original(self, record)

    callHandlers.autoheal_recorder = True  # type: ignore[attr-defined]
    logging.Logger.callHandlers = callHandlers  # type: ignore[method-assign]


def recent(count: int) -> list[str]:
    """The newest `count` lines, oldest first."""
    return list(_lines)[-count:] if count > 0 else []


def _remember(record: logging.LogRecord) -> None:
    try:
        stamp = time.strftime("%H:%M:%S", time.gmtime(record.created))
        _lines.append(f"{stamp} {record.levelname} {record.name}: {record.getMessage()}")
    except Exception:  # a broken format string in the host's log call must not fail here
        pass
