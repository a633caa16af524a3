"""Report an exception that ended a thread; `autoheal.boot` chains this after the previous threading.excepthook."""

from __future__ import annotations

from typing import Any

from . import report_uncaught


def handle(args: Any) -> None:
    """`args` is threading.ExceptHookArgs."""
    if args.exc_value is None or issubclass(args.exc_type, (KeyboardInterrupt, SystemExit)):
        return
    name = args.thread.name if args.thread is not None else None
    report_uncaught(args.exc_value, "thread-error", {"thread": name})
