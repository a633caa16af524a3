"""Reporting from inside a crash hook: bounded in time, silent on any failure of its own."""

from __future__ import annotations

import threading
import time
from typing import Any

from .. import config as config_module
from ..capture import capture_exception
from ..pipeline import submit


def report_uncaught(exc: BaseException, source: str, context: dict[str, Any] | None = None) -> None:
    """Capture and submit `exc`, returning after AUTOHEAL_TIMEOUT at the latest (the report stays spooled)."""
    if not _first_report(exc):
        return  # already reported (say, by autoheal.reporting() before it re-raised the error)
    try:
        config = config_module.load()
    except config_module.ConfigError:
        return  # a broken config disables the hook; `autoheal status` explains why
    if not config.enabled:
        return
    deadline = time.monotonic() + config.timeout
    worker = threading.Thread(
        target=_report, args=(exc, source, context, config, deadline), name="autoheal-report", daemon=True
    )
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))


def _report(
    exc: BaseException, source: str, context: dict[str, Any] | None, config: config_module.Config, deadline: float
) -> None:
    try:
        report = capture_exception(
            exc, source, context, max_log_lines=config.max_log_lines, env_allowlist=config.env_allowlist
        )
        submit(report, config, timeout=max(0.0, deadline - time.monotonic()))
    except Exception:  # the host program must never see autoheal fail
        pass


REPORTED = "__autoheal_reported__"


def _first_report(exc: BaseException) -> bool:
    """True once per exception object: a re-raised error reaches the hooks after `autoheal.api` reported it."""
    if getattr(exc, REPORTED, False):
        return False
    try:
        setattr(exc, REPORTED, True)
    except (AttributeError, TypeError):  # an exception type with __slots__ cannot be marked: report it
        pass
    return True
