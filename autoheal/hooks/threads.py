"""Report an exception that ended a thread; `autoheal.boot` chains this after the previous threading.excepthook."""

from __future__ import annotations

from . import report_uncaught

TYPE_CHECKING = False  # see autoheal.hooks: typing is not imported at a crash
if TYPE_CHECKING:
    from typing import Any


def handle(args: Any) -> None:
    """`args` is threading.ExceptHookArgs."""
    if args.exc_value is None or issubclass(args.exc_type, (KeyboardInterrupt, SystemExit)):
        return
    name = args.thread.name if args.thread is not None else None
    report_uncaught(args.exc_value, "thread-error", {"thread": name})
