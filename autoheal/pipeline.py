"""The single way a report leaves the process: scrub -> fingerprint -> spool -> deliver.

The report is on disk (scrubbed) before any network call, and removed only once
GitHub has it, so a kill at any point loses nothing; the sink recognises a
report it already delivered, so nothing is filed twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from . import config as config_module
from .config import Config
from .fingerprint import fingerprint, python_frame_key
from .report import Frame, Report, render_body
from .scrub import Scrubber
from .sinks import Outcome
from .sinks.github import GitHubSink, OverBudget
from .sinks.github_api import GitHubApi, GitHubRejected, GitHubUnavailable
from .sinks.spool import Spool
from .state import Ledger
from .token import find_token

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
    report = prepare(report, Scrubber.from_environment())
    if config.dry_run:
        Ledger(config.state_dir).remember_sent([issue_request(report, config)])
        return Outcome("dry-run", report.fingerprint)
    path = Spool(config.spool_dir).put(report)
    with _waiting_lock:
        _waiting[path] = None
    try:
        results = flush(config, deadline)
    finally:
        with _waiting_lock:
            by_neighbour = _waiting.pop(path)
    if path in results or by_neighbour:
        return results.get(path) or by_neighbour
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


def issue_request(report: Report, config: Config) -> dict:
    """The request that would open an issue for `report` (what `preview` shows)."""
    body = {"title": report.title, "body": render_body(report), "labels": [*config.labels, report.source]}
    return {"method": "POST", "path": f"/repos/{config.repo or 'OWNER/REPO'}/issues", "json": body}


def flush(config: Config, deadline: float) -> dict[Path, Outcome]:
    """Deliver spooled reports oldest first until done, out of time, or GitHub says stop."""
    spool, ledger = Spool(config.spool_dir), Ledger(config.state_dir)
    results: dict[Path, Outcome] = {}
    with spool.lock(deadline) as locked:
        if not locked:
            return results
        sink, reason = _connect(config, ledger, deadline)
        try:
            while pending := [p for p in spool.pending() if p not in results]:
                for path in pending:
                    results[path] = _deliver_one(spool, sink, reason, path)
                    if results[path].action == "spooled":
                        return results
        finally:
            if sink and sink.sent:
                ledger.remember_sent(sink.sent)
            with _waiting_lock:
                _waiting.update(
                    (path, outcome)
                    for path, outcome in results.items()
                    if path in _waiting and outcome.action != "spooled"
                )
    return results


def _connect(config: Config, ledger: Ledger, deadline: float) -> tuple[GitHubSink | None, str | None]:
    """A sink ready to send, or why nothing can be sent now."""
    if not config.repo:
        return None, "no repository (set AUTOHEAL_REPO or `autoheal enable --github-repo OWNER/NAME`)"
    wait = ledger.wait_until() - time.time()
    if wait > 0:
        return None, f"GitHub rate limit: waiting {int(wait)} s more"
    token, _ = find_token(timeout=min(2.0, deadline - time.monotonic()))
    if token is None:
        return None, "no GitHub token (set GITHUB_TOKEN or run `gh auth login`)"
    api = GitHubApi(config.api_url, token, config.repo, deadline, on_rate_limit=ledger.back_off)
    return GitHubSink(api, ledger, config.labels, config.max_issues_per_hour, config.max_comments), None


def _deliver_one(spool: Spool, sink: GitHubSink | None, reason: str | None, path: Path) -> Outcome:
    report = spool.load(path)
    if report is None:
        return Outcome("skipped", reason="gone or unreadable")
    if sink is None:
        return Outcome("spooled", report.fingerprint, reason=reason)
    try:
        outcome = sink.deliver(report)
    except (GitHubUnavailable, GitHubRejected, OverBudget) as e:
        return Outcome("spooled", report.fingerprint, reason=str(e))
    spool.remove(path)
    return outcome
