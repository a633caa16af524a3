"""Report an exception that ended a multiprocessing child (any start method).

multiprocessing prints such an exception itself and leaves with os._exit, so neither sys.excepthook nor
atexit sees it; `autoheal.boot` wraps BaseProcess._bootstrap to hand it here once the child has printed it.
Exceptions of Pool tasks are not child crashes: they are sent to the parent, where they count if uncaught.
"""

from __future__ import annotations

from . import report_uncaught


def handle(exc: BaseException, name: str) -> None:
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return
    report_uncaught(exc, "process-error", {"process": name})
