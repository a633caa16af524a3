"""The single way a report leaves the process: scrub -> fingerprint -> spool -> deliver.

The report is on disk (scrubbed) before any network call, and removed only once
GitHub has it, so a kill at any point loses nothing; the sink recognises a
report it already delivered, so nothing is filed twice. Delivery happens here
(`submit`, `flush`) or in a detached process (`autoheal.deliverer`) so that a
crashing program exits without waiting for GitHub.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config as config_module
from .config import Config
from .fingerprint import fingerprint, python_frame_key
from .report import Frame, Report, render_body
from .scrub import Scrubber
from .sinks import Outcome
from .sinks.spool import Spool
from .state import Ledger

if TYPE_CHECKING:  # the GitHub half (urllib3) is imported only to deliver: a crash that just spools skips it
    from .sinks.github import GitHubSink

# What GitHub answers about one report (its content), not about the token, the repository or the moment:
# that report is set aside with the reason and the others are delivered. 401/403/404 stop delivery instead.
REFUSES_THE_REPORT = (400, 413, 422)
# Whichever thread holds the spool lock delivers every pending report, its neighbours' too; this is how
# the threads of this process waiting in submit() learn what became of theirs.
_waiting: dict[Path, Outcome | None] = {}
_waiting_lock = threading.Lock()


def submit(report: Report, config: Config | None = None, *, timeout: float | None = None) -> Outcome:
    """Send one report (and anything spooled before it) within `timeout` seconds; never raises on delivery faults."""
    config = config or config_module.load()
    deadline = time.monotonic() + (config.timeout if timeout is None else timeout)
    if not config.enabled:
        return Outcome("disabled")
    if config.dry_run:
        report = prepare(report, Scrubber.from_environment())
        Ledger(config.state_dir).remember_sent([issue_request(report, config)])
        return Outcome("dry-run", report.fingerprint)
    path, report = spool(report, config)
    return deliver_spooled(path, report, config, deadline)


def spool(report: Report, config: Config) -> tuple[Path, Report]:
    """Scrub, fingerprint and spool `report` without sending anything; the scrubbed report is returned."""
    report = prepare(report, Scrubber.from_environment())
    return Spool(config.spool_dir).put(report), report


def deliver_spooled(path: Path, report: Report, config: Config, deadline: float) -> Outcome:
    """Deliver the spool (oldest first) until the report in `path` is delivered, set aside or out of time."""
    with _waiting_lock:
        _waiting[path] = None
    try:
        results = flush(config, deadline)
    finally:
        with _waiting_lock:
            by_neighbour = _waiting.pop(path)
    outcome = results.get(path) or by_neighbour
    if outcome is not None:
        return outcome
    if not path.exists():
        return Outcome("skipped", report.fingerprint, reason="delivered by another process")
    return Outcome("spooled", report.fingerprint, reason="delivery is busy or out of time")


def prepare(report: Report, scrubber: Scrubber) -> Report:
    """Scrub every field, then name the crash (so the fingerprint never sees a secret)."""
    clean = report.map_text(scrubber.scrub)
    key = _frame_key(clean.source)
    return replace(clean, fingerprint=fingerprint(clean.exc_type, clean.frames, clean.message, frame_key=key))


def _frame_key(source: str) -> Callable[[Frame], str]:
    """JS stacks name files where Python stacks name modules; each has its own normaliser."""
    if source == "js-error":
        from .jsreport import js_frame_key

        return js_frame_key
    return python_frame_key


def issue_request(report: Report, config: Config) -> dict[str, Any]:
    """The request that would open an issue for `report` (what `preview` shows)."""
    body = {"title": report.title, "body": render_body(report), "labels": [*config.labels, report.source]}
    return {"method": "POST", "path": f"/repos/{config.repo or 'OWNER/REPO'}/issues", "json": body}


def flush(config: Config, deadline: float, *, lock_wait: float | None = None) -> dict[Path, Outcome]:
    """Deliver spooled reports oldest first until done, out of time, or GitHub says stop.

    Whoever holds the spool lock delivers; the others give up after `lock_wait` seconds (default: until
    the deadline). After letting go of the lock the holder looks again, and delivers what was spooled while
    it held the lock, unless another deliverer took over: so a deliverer that gave up strands nothing.
    """
    spool = Spool(config.spool_dir)
    results: dict[Path, Outcome] = {}
    wait_until = deadline if lock_wait is None else min(deadline, time.monotonic() + lock_wait)
    while _flush_locked(config, spool, deadline, wait_until, results):
        stopped = any(o.action == "spooled" for o in results.values())
        if stopped or not [p for p in spool.pending() if p not in results]:
            break
        wait_until = 0.0  # a holder now is delivering these; it looks again when it lets go
    return results


def _flush_locked(
    config: Config, spool: Spool, deadline: float, wait_until: float, results: dict[Path, Outcome]
) -> bool:
    """One turn holding the lock (False if it was not had); adds to `results`."""
    ledger = Ledger(config.state_dir)
    with spool.lock(wait_until) as locked:
        if not locked:
            return False
        earlier = set(results)
        sink, reason = _connect(config, ledger, deadline)
        try:
            while pending := [p for p in spool.pending() if p not in results]:
                for path in pending:
                    results[path] = _deliver_one(spool, sink, reason, path)
                    if results[path].action == "spooled":  # GitHub said stop (or time is up): keep the order
                        return True
        finally:
            if sink and sink.sent:
                ledger.remember_sent(sink.sent)
            _remember_outcomes(ledger, [o for p, o in results.items() if p not in earlier])
            with _waiting_lock:
                _waiting.update(
                    (path, outcome)
                    for path, outcome in results.items()
                    if path in _waiting and outcome.action != "spooled"
                )
    return True


def _remember_outcomes(ledger: Ledger, outcomes: list[Outcome]) -> None:
    """The latest deliveries, for `autoheal status` (the crashing process is gone by the time they happen)."""
    done = [asdict(o) for o in outcomes if o.action != "skipped"]
    if done:
        ledger.remember_deliveries(done)


def _connect(config: Config, ledger: Ledger, deadline: float) -> tuple[GitHubSink | None, str | None]:
    """A sink ready to send, or why nothing can be sent now."""
    if not config.repo:
        return None, "no repository (set AUTOHEAL_REPO or `autoheal enable --github-repo OWNER/NAME`)"
    wait = ledger.wait_until() - time.time()
    if wait > 0:
        return None, f"GitHub rate limit: waiting {int(wait)} s more"
    from .sinks.github import GitHubSink
    from .sinks.github_api import GitHubApi
    from .token import find_token

    token, _ = find_token(timeout=min(2.0, deadline - time.monotonic()))
    if token is None:
        return None, "no GitHub token (set GITHUB_TOKEN or run `gh auth login`)"
    api = GitHubApi(config.api_url, token, config.repo, deadline, on_rate_limit=ledger.back_off)
    return GitHubSink(api, ledger, config.labels, config.max_issues_per_hour, config.max_comments), None


def _deliver_one(spool: Spool, sink: GitHubSink | None, reason: str | None, path: Path) -> Outcome:
    from .sinks.github import OverBudget
    from .sinks.github_api import GitHubRejected, GitHubUnavailable

    report = spool.load(path)
    if report is None:
        return Outcome("skipped", reason="gone or unreadable")
    if sink is None:
        return Outcome("spooled", report.fingerprint, reason=reason)
    try:
        outcome = sink.deliver(report)
    except GitHubRejected as e:
        if e.status in REFUSES_THE_REPORT:
            spool.set_aside(path, report, str(e))
            return Outcome("set-aside", report.fingerprint, reason=str(e))
        return Outcome("spooled", report.fingerprint, reason=str(e))
    except (GitHubUnavailable, OverBudget) as e:
        return Outcome("spooled", report.fingerprint, reason=str(e))
    spool.remove(path)
    return outcome
