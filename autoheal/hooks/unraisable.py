"""Report what Python can only print as "Exception ignored in ...": `autoheal.boot` chains `handle` after
the previous sys.unraisablehook.

An exception in an atexit callback is a crash of the program's last step, and is always reported. The rest
(exceptions in `__del__`, weakref and GC callbacks, unclosed generators) are often harmless noise, so they
are reported only with AUTOHEAL_UNRAISABLE=1.
"""

from __future__ import annotations

from . import report_uncaught

TYPE_CHECKING = False  # see autoheal.hooks: typing is not imported at a crash
if TYPE_CHECKING:
    from typing import Any

ATEXIT = "Exception ignored in atexit callback"


def handle(unraisable: Any) -> None:
    """`unraisable` is sys.UnraisableHookArgs."""
    exc = unraisable.exc_value
    if exc is None or isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return
    message = str(unraisable.err_msg or "Exception ignored")
    if message.startswith(ATEXIT):
        report_uncaught(exc, "atexit-error")
    else:
        report_uncaught(exc, "unraisable-error", {"where": message[:200]}, wanted=lambda config: config.unraisable)
