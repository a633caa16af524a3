"""Reporting errors a program catches itself (the sentry-python habit):

    try:
        export(rows)
    except ExportError as e:
        autoheal.capture_exception(e, rows=len(rows))  # filed like a crash; the program goes on

    with autoheal.reporting(step="export"):  # reports what escapes the block, then re-raises it
        export(rows)

Both go through the crash hooks' own entry point (`autoheal.hooks.report_uncaught`): the same settings,
capture, scrubbing, fingerprint, spool and delivery, waiting at most AUTOHEAL_TIMEOUT. An exception is
reported once, however many of these and of the hooks it passes through.
"""

from __future__ import annotations

import contextlib
import sys
from types import TracebackType
from typing import Any

SOURCE = "handled-error"  # the label such issues carry, beside cli-error, thread-error, mcp-tool, js-error
MAX_VALUE = 1000  # characters of one context value's repr (values come from the program: any size)


def capture_exception(exc: BaseException | None = None, **context: Any) -> None:
    """File `exc` (default: the exception being handled) as an autoheal issue, with `context` attached.

    Never raises and never reports KeyboardInterrupt, SystemExit or GeneratorExit.
    """
    if exc is None:
        exc = sys.exc_info()[1]
    if exc is None or not isinstance(exc, Exception):
        return
    try:
        from .hooks import report_uncaught

        report_uncaught(exc, SOURCE, {str(key): _plain(value) for key, value in context.items()})
    except Exception:  # the program must never see autoheal fail
        pass


class reporting(contextlib.ContextDecorator):  # noqa: N801  (used like a function: `with autoheal.reporting():`)
    """Report an exception that leaves the block (or the decorated function), then re-raise it;
    with `reraise=False` the block's error is reported and swallowed."""

    def __init__(self, *, reraise: bool = True, **context: Any) -> None:
        self.reraise = reraise
        self.context = context

    def __enter__(self) -> reporting:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        capture_exception(exc, **self.context)
        return not self.reraise


def _plain(value: Any) -> Any:
    """JSON's own types as they are; anything else as its (bounded) repr."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value[:MAX_VALUE]
    try:
        text = repr(value)
    except Exception:
        text = f"<unprintable {type(value).__name__}>"
    return text[:MAX_VALUE]
