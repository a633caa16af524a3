"""Report an uncaught exception of the main thread.

`autoheal.boot` chains `handle` after the previous sys.excepthook. A host that replaces sys.excepthook
after start-up (rich's and typer's pretty tracebacks, click apps that install one, IPython-style hooks)
cuts that chain; Python still records the exception as `sys.last_value` before calling whichever hook is
set, so `boot` hands it to `handle_unseen` at exit, and it is reported unless a hook already did.
"""

from __future__ import annotations

import sys

from . import already_reported, report_uncaught

TYPE_CHECKING = False  # see autoheal.hooks: typing is not imported at a crash
if TYPE_CHECKING:
    from types import TracebackType


def handle(exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> None:
    if exc is None or issubclass(exc_type, (KeyboardInterrupt, SystemExit)) or _interactive():
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    report_uncaught(exc, "cli-error")


def handle_unseen(exc: BaseException) -> None:
    """At exit: the uncaught exception a replaced sys.excepthook kept from `handle`."""
    if not already_reported(exc):
        handle(type(exc), exc, exc.__traceback__)


def _interactive() -> bool:
    """A REPL user sees their error and carries on; that is not a crash."""
    return hasattr(sys, "ps1") or bool(sys.flags.interactive)
