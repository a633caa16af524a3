"""Deliver a report as a GitHub issue: one issue per fingerprint, repeats recorded on it.

Every step is safe to repeat after a kill: the trace id of a report is looked
for on the issue (body, occurrence comments, counter) before anything is written.
"""

from __future__ import annotations

import re
from typing import Any

from ..report import Report, fingerprint_marker, render_body, render_occurrence
from ..state import Ledger
from . import Outcome
from .github_api import GitHubApi, GitHubRejected

COUNTER_MARKER = "<!-- autoheal:counter -->"
RECENT_TRACES = 20
LABEL_COLORS = {"auto-heal": "d93f0b"}


class OverBudget(Exception):
    """AUTOHEAL_MAX_ISSUES_PER_HOUR issues were already opened in the last hour."""


class GitHubSink:
    def __init__(
        self, api: GitHubApi, ledger: Ledger, labels: tuple[str, ...], max_issues_per_hour: int, max_comments: int
    ) -> None:
        self.api = api
        self.ledger = ledger
        self.labels = labels
        self.max_issues_per_hour = max_issues_per_hour
        self.max_comments = max_comments
        self.sent: list[dict[str, Any]] = []  # every write, for `autoheal preview`

    def deliver(self, report: Report) -> Outcome:
        issue = self._find(report.fingerprint)
        if issue is None:
            return self._open(report)
        return self._repeat(issue, report)

    def _find(self, fingerprint: str) -> dict[str, Any] | None:
        """The issue for this fingerprint: the local map first, then a search over open and closed issues."""
        number = self.ledger.issue_for(fingerprint)
        if number is not None:
            issue = self.api.call("GET", f"/repos/{self.api.repo}/issues/{number}")
            if issue and fingerprint_marker(fingerprint) in (issue.get("body") or ""):
                return issue
            self.ledger.remember_issue(fingerprint, None)
        query = f"repo:{self.api.repo} is:issue in:body {fingerprint}"
        found = self.api.call("GET", "/search/issues", fields={"q": query, "per_page": "10"}) or {}
        for issue in found.get("items", []):
            if fingerprint_marker(fingerprint) in (issue.get("body") or ""):
                self.ledger.remember_issue(fingerprint, issue["number"])
                return issue
        return None

    def _open(self, report: Report) -> Outcome:
        if self.ledger.issues_opened_last_hour() >= self.max_issues_per_hour:
            raise OverBudget(f"{self.max_issues_per_hour} issues opened in the last hour")
        labels = [*self.labels, report.source]
        for name in labels:
            self._ensure_label(name)
        issue = self._write(
            "POST",
            f"/repos/{self.api.repo}/issues",
            {"title": report.title, "body": render_body(report), "labels": labels},
        )
        self.ledger.count_opening()
        self.ledger.remember_issue(report.fingerprint, issue["number"])
        return Outcome("created", report.fingerprint, issue["number"], issue.get("html_url"))

    def _repeat(self, issue: dict[str, Any], report: Report) -> Outcome:
        number = issue["number"]
        comments = self.api.pages(f"/repos/{self.api.repo}/issues/{number}/comments")
        counter = next((c for c in comments if COUNTER_MARKER in c.get("body", "")), None)
        occurrences = [c for c in comments if "<!-- autoheal:occurrence " in c.get("body", "")]
        texts = [issue.get("body") or "", *(c.get("body", "") for c in comments)]
        outcome = Outcome("duplicate", report.fingerprint, number, issue.get("html_url"))
        if any(report.trace_id in text for text in texts):
            return outcome  # delivered before a kill, only the spool file was left behind
        reopened = issue.get("state") == "closed"
        if reopened:
            self._write("PATCH", f"/repos/{self.api.repo}/issues/{number}", {"state": "open"})
        if len(occurrences) < self.max_comments and counter is None:
            self._write(
                "POST",
                f"/repos/{self.api.repo}/issues/{number}/comments",
                {"body": render_occurrence(report, len(occurrences) + 2, reopened)},
            )
            action = "commented"
        else:
            self._count(number, counter, len(occurrences), report)
            action = "counted"
        return Outcome("reopened" if reopened else action, report.fingerprint, number, issue.get("html_url"))

    def _count(self, number: int, counter: dict[str, Any] | None, commented: int, report: Report) -> None:
        """Bump the one counter comment, which keeps recent trace ids so a retried bump is recognised."""
        count, traces = _read_counter(counter["body"]) if counter else (1 + commented, [])
        body = _counter_body(count + 1, [*traces, report.trace_id][-RECENT_TRACES:], report.timestamp)
        if counter:
            self._write("PATCH", f"/repos/{self.api.repo}/issues/comments/{counter['id']}", {"body": body})
        else:
            self._write("POST", f"/repos/{self.api.repo}/issues/{number}/comments", {"body": body})

    def _ensure_label(self, name: str) -> None:
        if self.api.call("GET", f"/repos/{self.api.repo}/labels/{name}") is None:
            color = LABEL_COLORS.get(name, "fbca04")
            try:
                self._write(
                    "POST",
                    f"/repos/{self.api.repo}/labels",
                    {"name": name, "color": color, "description": "Filed by autoheal"},
                )
            except GitHubRejected as e:
                if e.status != 422:  # 422: created meanwhile by someone else
                    raise

    def _write(self, method: str, path: str, body: dict[str, Any]) -> Any:
        self.sent.append({"method": method, "path": path, "json": body})
        return self.api.call(method, path, body)


def occurrences_of(body: str) -> int | None:
    """The count a counter comment shows, or None when `body` is not one."""
    return _read_counter(body)[0] if COUNTER_MARKER in body else None


def _read_counter(body: str) -> tuple[int, list[str]]:
    count = re.search(r"<!-- autoheal:count=(\d+) -->", body)
    traces = re.search(r"<!-- autoheal:traces=([0-9a-f,]*) -->", body)
    return (int(count.group(1)) if count else 1), (traces.group(1).split(",") if traces and traces.group(1) else [])


def _counter_body(count: int, traces: list[str], last_seen: str) -> str:
    return "\n".join(
        [
            COUNTER_MARKER,
            f"<!-- autoheal:count={count} -->",
            f"This crash has happened **{count}** times; last seen {last_seen}.",
            f"<!-- autoheal:traces={','.join(traces)} -->",
        ]
    )
