"""Report an exception asyncio could only log: a task whose exception was never retrieved, or a failed
loop callback. `autoheal.boot` chains `handle` after BaseEventLoop.default_exception_handler, which asyncio
calls for these unless the program set its own handler (then the program deals with them).
"""

from __future__ import annotations

from . import report_uncaught

TYPE_CHECKING = False  # see autoheal.hooks: typing is not imported at a crash
if TYPE_CHECKING:
    from typing import Any


def handle(context: dict[str, Any]) -> None:
    exc = context.get("exception")
    if not isinstance(exc, BaseException) or isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return
    message = str(context.get("message") or "")
    report_uncaught(exc, "asyncio-error", {"asyncio": message.splitlines()[0][:200] if message else ""})
