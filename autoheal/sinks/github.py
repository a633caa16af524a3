"""Deliver a report as a GitHub issue: one issue per fingerprint across machines, every occurrence counted.

Deduplication rests on what GitHub guarantees, not on search, whose index trails new issues by seconds:
- label names are unique in a repository and creating one is atomic: of N machines creating the
  fingerprint's label (`autoheal:<fingerprint>`) at once, one is answered 201 and the others 422
  `already_exists`. The winner opens the issue, with that label;
- listing issues by label is immediately consistent, so the others find the winner's issue by its label
  (waiting a bounded time while it is being opened), and so does every later crash.
Occurrences are never a counter several machines read, modify and write: the first `max_comments` get a
detailed comment each, after that each machine keeps one tally comment that only it writes (under its spool
lock). The count is 1 (the issue) + the detailed comments + the tallies, read by listing the comments.

Every step is safe to repeat after a kill: a report's trace id is looked for on the issue (body, occurrence
comments, tallies) before anything is written.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any

from ..report import Report, fingerprint_marker, render_body, render_occurrence
from ..state import Ledger
from . import Outcome
from .github_api import GitHubApi, GitHubRejected, GitHubUnavailable

LABEL_PREFIX = "autoheal:"  # + the 32-hex fingerprint: 41 characters, within GitHub's 50
LABEL_COLORS = {"auto-heal": "d93f0b"}
FINGERPRINT_LABEL_COLOR = "ededed"
JOIN_WAIT = 20.0  # seconds a machine that lost the label waits for the winner's issue to appear
ORPHAN_AFTER = 600.0  # a label whose issue never appeared this long: its winner died, open the issue anyway
RECENT_TRACES = 20
_TALLY = re.compile(r"<!-- autoheal:tally machine=([0-9a-f]{1,64}) count=(\d{1,9}) traces=([0-9a-f,]{0,2000}) -->")


class OverBudget(Exception):
    """AUTOHEAL_MAX_ISSUES_PER_HOUR issues were already opened in the last hour."""


class IssueNotYetVisible(GitHubUnavailable):
    """Another machine holds the fingerprint's label but its issue has not appeared yet: try again later."""


def fingerprint_label(fingerprint: str) -> str:
    return LABEL_PREFIX + fingerprint


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
        issue = self._known(report.fingerprint) or self._by_label(report.fingerprint)
        if issue is not None:
            return self._repeat(issue, report)
        found = self._open_or_join(report)
        return found if isinstance(found, Outcome) else self._repeat(found, report)

    # -- finding the issue ---------------------------------------------------
    def _known(self, fingerprint: str) -> dict[str, Any] | None:
        """The issue this machine filed or found before (checked: it may have been deleted or edited)."""
        number = self.ledger.issue_for(fingerprint)
        if number is None:
            return None
        issue = self.api.call("GET", f"/repos/{self.api.repo}/issues/{number}")
        if issue and fingerprint_marker(fingerprint) in (issue.get("body") or ""):
            return dict(issue)
        self.ledger.remember_issue(fingerprint, None)
        return None

    def _by_label(self, fingerprint: str) -> dict[str, Any] | None:
        """The oldest issue carrying the fingerprint's label; listing is consistent the moment it is opened."""
        found = self.api.call(
            "GET",
            f"/repos/{self.api.repo}/issues",
            fields={
                "labels": fingerprint_label(fingerprint),
                "state": "all",
                "sort": "created",
                "direction": "asc",
                "per_page": "10",
            },
        )
        return self._remember_first(fingerprint, found or [])

    def _by_search(self, fingerprint: str) -> dict[str, Any] | None:
        """An issue filed before fingerprint labels existed; the search index has long caught up with those."""
        query = f"repo:{self.api.repo} is:issue in:body {fingerprint}"
        found = self.api.call("GET", "/search/issues", fields={"q": query, "per_page": "10"}) or {}
        return self._remember_first(fingerprint, found.get("items", []))

    def _remember_first(self, fingerprint: str, issues: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
        for issue in issues:
            if "pull_request" not in issue and fingerprint_marker(fingerprint) in (issue.get("body") or ""):
                self.ledger.remember_issue(fingerprint, issue["number"], issue.get("html_url"))
                return dict(issue)
        return None

    # -- opening it, once across machines --------------------------------------
    def _open_or_join(self, report: Report) -> dict[str, Any] | Outcome:
        """Open the issue if this machine wins the fingerprint's label, else find the winner's."""
        fingerprint, label = report.fingerprint, fingerprint_label(report.fingerprint)
        if self._claim(label):
            self.ledger.remember_claim(fingerprint)
            legacy = self._by_search(fingerprint)
            if legacy is not None:
                self._write("POST", f"/repos/{self.api.repo}/issues/{legacy['number']}/labels", {"labels": [label]})
                self.ledger.forget_claim(fingerprint)
                return legacy
            return self._open(report, label)
        if self.ledger.claimed(fingerprint):
            return self._open(report, label)  # won on an earlier try that ended before the issue was opened
        issue = self._wait_for(fingerprint)
        if issue is not None:
            return issue
        if self.ledger.orphan_age(fingerprint) >= ORPHAN_AFTER:
            return self._open(report, label)
        raise IssueNotYetVisible(f"waiting for the issue of label {label} (another machine is opening it)")

    def _claim(self, label: str) -> bool:
        """Create the label: True if this call created it, False if it already existed."""
        try:
            self._write(
                "POST",
                f"/repos/{self.api.repo}/labels",
                {"name": label, "color": FINGERPRINT_LABEL_COLOR, "description": "autoheal crash fingerprint"},
            )
        except GitHubRejected as e:
            if e.status == 422 and "already_exists" in e.codes:
                return False
            raise
        return True

    def _wait_for(self, fingerprint: str) -> dict[str, Any] | None:
        """Poll the label listing while the winner opens the issue (bounded by JOIN_WAIT and the deadline)."""
        until = min(time.monotonic() + JOIN_WAIT, self.api.deadline - 0.5)
        pause = 0.1
        while True:
            issue = self._by_label(fingerprint)
            if issue is not None or time.monotonic() + pause > until:
                return issue
            time.sleep(pause)
            pause = min(pause * 1.5, 1.0)

    def _open(self, report: Report, label: str) -> Outcome:
        if self.ledger.issues_opened_last_hour() >= self.max_issues_per_hour:
            raise OverBudget(f"{self.max_issues_per_hour} issues opened in the last hour")
        labels = [*self.labels, report.source]
        for name in labels:
            self._ensure_label(name)
        issue = self._write(
            "POST",
            f"/repos/{self.api.repo}/issues",
            {"title": report.title, "body": render_body(report), "labels": [*labels, label]},
        )
        self.ledger.count_opening()
        self.ledger.remember_issue(report.fingerprint, issue["number"], issue.get("html_url"))
        self.ledger.forget_claim(report.fingerprint)
        return Outcome("created", report.fingerprint, issue["number"], issue.get("html_url"))

    def _ensure_label(self, name: str) -> None:
        """Create a label with autoheal's colour, once per machine; one that exists is left as it is."""
        if self.ledger.label_exists(name):
            return
        try:
            self._write(
                "POST",
                f"/repos/{self.api.repo}/labels",
                {"name": name, "color": LABEL_COLORS.get(name, "fbca04"), "description": "Filed by autoheal"},
            )
        except GitHubRejected as e:
            if not (e.status == 422 and "already_exists" in e.codes):
                raise
        self.ledger.remember_label(name)

    # -- one more occurrence -----------------------------------------------------
    def _repeat(self, issue: dict[str, Any], report: Report) -> Outcome:
        number = issue["number"]
        comments = self.api.pages(f"/repos/{self.api.repo}/issues/{number}/comments")
        outcome = Outcome("duplicate", report.fingerprint, number, issue.get("html_url"))
        texts = [issue.get("body") or "", *(c.get("body") or "" for c in comments)]
        if any(report.trace_id in text for text in texts):
            return outcome  # delivered before a kill, only the spool file was left behind
        reopened = issue.get("state") == "closed"
        if reopened:
            self._write("PATCH", f"/repos/{self.api.repo}/issues/{number}", {"state": "open"})
        detailed = sum("<!-- autoheal:occurrence " in text for text in texts)
        if reopened or detailed < self.max_comments:
            body = render_occurrence(report, occurrences_on(texts) + 1, reopened)
            self._write("POST", f"/repos/{self.api.repo}/issues/{number}/comments", {"body": body})
            action = "reopened" if reopened else "commented"
        else:
            self._tally(number, comments, report)
            action = "counted"
        return Outcome(action, report.fingerprint, number, issue.get("html_url"))

    def _tally(self, number: int, comments: list[dict[str, Any]], report: Report) -> None:
        """Add one to this machine's own tally comment; no other machine ever writes it."""
        machine = self.ledger.machine_id()
        mine = next((c for c in comments if _tally_of(c.get("body") or "", machine)), None)
        found = _tally_of(mine.get("body") or "", machine) if mine else None
        count, traces = found or (0, [])
        body = _tally_body(machine, count + 1, [*traces, report.trace_id][-RECENT_TRACES:], report.timestamp)
        if mine:
            self._write("PATCH", f"/repos/{self.api.repo}/issues/comments/{mine['id']}", {"body": body})
        else:
            self._write("POST", f"/repos/{self.api.repo}/issues/{number}/comments", {"body": body})

    def _write(self, method: str, path: str, body: dict[str, Any]) -> Any:
        self.sent.append({"method": method, "path": path, "json": body})
        return self.api.call(method, path, body)


def occurrences_on(texts: Iterable[str]) -> int:
    """How often the crash of an issue happened: 1 + its occurrence comments + every machine's tally.

    `texts` are the issue body and its comments' bodies; the count is read from them, never stored.
    """
    total = 1
    for text in texts:
        if "<!-- autoheal:occurrence " in text:
            total += 1
        for match in _TALLY.finditer(text):
            total += int(match.group(2))
    return total


def _tally_of(body: str, machine: str) -> tuple[int, list[str]] | None:
    for match in _TALLY.finditer(body):
        if match.group(1) == machine:
            return int(match.group(2)), [t for t in match.group(3).split(",") if t]
    return None


def _tally_body(machine: str, count: int, traces: list[str], last_seen: str) -> str:
    return "\n".join(
        [
            f"<!-- autoheal:tally machine={machine} count={count} traces={','.join(traces)} -->",
            f"Seen {count} more time{'s' if count != 1 else ''} on one machine; last seen {last_seen}.",
        ]
    )
