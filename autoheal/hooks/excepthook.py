"""Report an uncaught exception of the main thread; `autoheal.boot` chains this after the previous sys.excepthook."""

from __future__ import annotations

import sys
from types import TracebackType

from . import report_uncaught


def handle(exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> None:
    if exc is None or issubclass(exc_type, (KeyboardInterrupt, SystemExit)) or _interactive():
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    report_uncaught(exc, "cli-error")


def _interactive() -> bool:
    """A REPL user sees their error and carries on; that is not a crash."""
    return hasattr(sys, "ps1") or bool(sys.flags.interactive)
