"""Reporting from inside a crash hook: quick, silent on any failure of its own, never twice for one exception.

Outside GitHub Actions a detached process sends the report, so the crashing program exits without waiting
for GitHub: where forking is safe (one thread, Linux) a forked copy of the process captures, scrubs and
spools it and then becomes the deliverer (`autoheal.deliverer`), so the program pays one fork; elsewhere
the report is scrubbed and spooled here and a deliverer is started. Inside
Actions the runner ends every process of the job when it finishes, so the report is delivered before the
program exits, within AUTOHEAL_TIMEOUT (what is not sent by then stays spooled, and is also handed to a
deliverer). The user is told what happened in one stderr line, unless AUTOHEAL_QUIET is set.
"""

from __future__ import annotations

import os
import sys

from . import early

TYPE_CHECKING = False  # not typing's: importing typing alone costs a crashing program milliseconds
if TYPE_CHECKING:  # the rest is imported where used, so the fork path pays for none of it
    from collections.abc import Callable
    from typing import Any

    from ..config import Config
    from ..sinks import Outcome

_REPORTED = "__autoheal_reported__"
_reported_ids: set[int] = set()  # for the rare exception that takes no attributes
_reporters: list[int] = []  # forked reporters not yet reaped


def report_uncaught(
    exc: BaseException,
    source: str,
    context: dict[str, Any] | None = None,
    wanted: Callable[[Config], bool] | None = None,
) -> None:
    """Capture and report `exc` once; `wanted` can turn this kind of report off by a setting."""
    if already_reported(exc):
        return
    quick = early.settings() if wanted is None and _can_fork() else None
    if quick is not None and quick["enabled"] and not quick["dry_run"] and _background(str(quick["delivery"])):
        mark_reported(exc)
        _fork_reporter(exc, source, context)
        if not quick["quiet"]:
            _tell("autoheal: reporting in the background (`autoheal status` shows the issue)")
        return
    if quick is not None and not quick["enabled"]:
        return
    from .. import config as config_module

    try:
        config = config_module.load()
    except config_module.ConfigError:
        return  # a broken config disables the hook; `autoheal status` explains why
    if not config.enabled or (wanted is not None and not wanted(config)) or not mark_reported(exc):
        return
    if config.dry_run or not in_background(config):
        outcome = _deliver_now(exc, source, context, config)
    else:
        outcome = _spool_for_deliverer(exc, source, context, config)
    if outcome is not None and not config.quiet:
        _tell(describe(outcome))


def already_reported(exc: BaseException) -> bool:
    return bool(getattr(exc, _REPORTED, False)) or id(exc) in _reported_ids


def mark_reported(exc: BaseException) -> bool:
    """Mark `exc` as reported; False if it already was (another hook saw it first)."""
    if already_reported(exc):
        return False
    try:
        setattr(exc, _REPORTED, True)
    except Exception:
        _reported_ids.add(id(exc))
    return True


def in_background(config: Config) -> bool:
    """Deliver from a detached process? Not inside GitHub Actions, whose runner kills leftover processes."""
    return _background(config.delivery)


def _background(delivery: str) -> bool:
    if delivery != "auto":
        return delivery == "background"
    return os.environ.get("GITHUB_ACTIONS") != "true"


def describe(outcome: Outcome) -> str:
    """The one line the user sees after the traceback."""
    if outcome.delivered:
        return f"autoheal: reported as {outcome.url or f'issue #{outcome.issue}'}"
    if outcome.action == "background":
        if outcome.url:
            return f"autoheal: reported as {outcome.url} (this occurrence is added in the background)"
        return "autoheal: spooled; the issue is filed in the background (`autoheal status` shows it)"
    if outcome.action == "dry-run":
        return "autoheal: dry run, nothing sent (`autoheal preview` shows what would be)"
    if outcome.action == "set-aside":
        return f"autoheal: GitHub refused the report, set aside: {outcome.reason} (`autoheal status` lists it)"
    return f"autoheal: spooled, not reported yet: {outcome.reason} (`autoheal flush` retries)"


def _can_fork() -> bool:
    """Forking is safe with one thread (another's locks would stay locked in the child) and on Linux (macOS
    frameworks do not survive fork)."""
    import _thread

    return sys.platform.startswith("linux") and hasattr(os, "fork") and _thread._count() == 0


def _fork_reporter(exc: BaseException, source: str, context: dict[str, Any] | None) -> None:
    """Leave the whole report to a detached copy of this process: the program pays one fork.

    The copy has the live exception, the logs and everything else the report needs; it detaches (its own
    session, stdio on /dev/null, lower priority), loads the settings, captures, scrubs and spools the report,
    then becomes a deliverer. It never returns into the program: whatever happens in it ends with os._exit.
    The program does not wait for it; a program that lives on reaps it at its next report.
    """
    _reap()
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        _reporters.append(pid)
        return
    try:
        os.setsid()
        os.nice(10)  # the program's own work (and the rest of its exit) comes first
        _detach_stdio()
        _report_from_copy(exc, source, context)
    finally:
        os._exit(0)


def _reap() -> None:
    """Collect the reporters of earlier reports that have finished (no zombies in a long-lived program)."""
    for pid in list(_reporters):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _reporters.remove(pid)


def _report_from_copy(exc: BaseException, source: str, context: dict[str, Any] | None) -> None:
    from .. import config as config_module

    try:
        config = config_module.load()
    except config_module.ConfigError:
        return
    if config.enabled and not config.dry_run:
        _spool_for_deliverer(exc, source, context, config, become_deliverer=True)


def _detach_stdio() -> None:
    """Nothing that waits for the program's output (a pipe's EOF) may wait for the reporter."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _spool_for_deliverer(
    exc: BaseException,
    source: str,
    context: dict[str, Any] | None,
    config: Config,
    become_deliverer: bool = False,
) -> Outcome | None:
    from .. import deliverer, pipeline
    from ..capture import capture_exception
    from ..sinks import Outcome
    from ..state import Ledger

    try:
        report = capture_exception(
            exc, source, context, max_log_lines=config.max_log_lines, env_allowlist=config.env_allowlist
        )
        _, report = pipeline.spool(report, config)
    except Exception:  # the host program must never see autoheal fail
        return None
    if become_deliverer:
        deliverer.become()
    problem = deliverer.start()
    if problem:
        return Outcome("spooled", report.fingerprint, reason=problem)
    url = Ledger(config.state_dir).issue_url(report.fingerprint)
    return Outcome("background", report.fingerprint, url=url)


def _deliver_now(exc: BaseException, source: str, context: dict[str, Any] | None, config: Config) -> Outcome | None:
    """Deliver on a worker thread, waiting AUTOHEAL_TIMEOUT at most; the report stays spooled past that."""
    import threading
    import time

    from ..sinks import Outcome

    deadline = time.monotonic() + config.timeout
    result: list[Outcome] = []
    args = (exc, source, context, config, deadline, result)
    try:
        worker = threading.Thread(target=_report, args=args, name="autoheal-report", daemon=True)
        worker.start()
    except RuntimeError:  # no new threads at interpreter shutdown (atexit callbacks): report on this one
        _report(*args)
    else:
        worker.join(max(0.0, deadline - time.monotonic()))
    if result:
        return result[0]
    from .. import deliverer

    deliverer.start()  # takes over once this process lets go of the spool lock; may finish before the job ends
    return Outcome("spooled", reason=f"not delivered within {config.timeout:g} s")


def _report(
    exc: BaseException,
    source: str,
    context: dict[str, Any] | None,
    config: Config,
    deadline: float,
    result: list[Outcome],
) -> None:
    import time

    from ..capture import capture_exception
    from ..pipeline import submit

    try:
        report = capture_exception(
            exc, source, context, max_log_lines=config.max_log_lines, env_allowlist=config.env_allowlist
        )
        result.append(submit(report, config, timeout=max(0.0, deadline - time.monotonic())))
    except Exception:  # the host program must never see autoheal fail
        pass


def _tell(line: str) -> None:
    try:
        stream = sys.stderr
        if stream is not None:
            stream.write(line + "\n")
            stream.flush()
    except Exception:  # a closed or broken stderr: the line is a courtesy
        pass
