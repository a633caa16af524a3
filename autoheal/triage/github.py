"""The GitHub calls triage makes, over the core's REST client (`autoheal.sinks.github_api`)."""

from __future__ import annotations

import os
import time
from typing import Any

from autoheal import config as autoheal_config
from autoheal.report import Report
from autoheal.sinks.github_api import GitHubApi, GitHubRejected
from autoheal.token import find_token

from .crash import from_issue_body

COPILOT = "copilot-swe-agent[bot]"
COPILOT_LOGINS = {COPILOT, "Copilot", "copilot-swe-agent"}
BUDGET = 300.0  # seconds for all of one triage's GitHub calls


class TriageError(Exception):
    """A problem the user must fix (no repo, no token, no such issue); shown as one line."""


def connect(repo: str | None, token: str | None = None) -> GitHubApi:
    """A client for `repo` (or AUTOHEAL_REPO / GITHUB_REPOSITORY) at GITHUB_API_URL."""
    settings = autoheal_config.load()
    repo = repo or settings.repo
    if not repo:
        raise TriageError("no repository: pass --repo OWNER/NAME or set AUTOHEAL_REPO / GITHUB_REPOSITORY")
    token = token or find_token()[0]
    if not token:
        raise TriageError("no GitHub token: set GITHUB_TOKEN or GH_TOKEN")
    return GitHubApi(settings.api_url, token, repo, time.monotonic() + BUDGET, on_rate_limit=lambda until: None)


class Hub:
    """One repository's issues, comments, labels, pulls and assignees."""

    def __init__(self, api: GitHubApi) -> None:
        self.api = api
        self.path = f"/repos/{api.repo}"
        self._repository: dict[str, Any] | None = None

    def issue(self, number: int) -> dict[str, Any]:
        found = self.api.call("GET", f"{self.path}/issues/{number}")
        if not found:
            raise TriageError(f"issue #{number} not found in {self.api.repo}")
        return dict(found)

    def comments(self, number: int) -> list[dict[str, Any]]:
        return self.api.pages(f"{self.path}/issues/{number}/comments")

    def comment(self, number: int, body: str) -> dict[str, Any]:
        return dict(self.api.call("POST", f"{self.path}/issues/{number}/comments", {"body": body}) or {})

    def label(self, number: int, *names: str) -> None:
        self.api.call("POST", f"{self.path}/issues/{number}/labels", {"labels": list(names)})

    def repository(self) -> dict[str, Any]:
        """The repository's record, fetched once."""
        if self._repository is None:
            found = self.api.call("GET", self.path)
            if not found:
                raise TriageError(f"repository {self.api.repo} not found")
            self._repository = found
        return self._repository

    def default_branch(self) -> str:
        return str(self.repository()["default_branch"])

    def html_url(self) -> str:
        """The repository's web address, for links to files at a commit."""
        return str(self.repository().get("html_url") or "")

    def pull_for(self, branch: str) -> dict[str, Any] | None:
        """The pull request (open or closed) whose head is `branch` in this repository."""
        owner = self.api.repo.split("/")[0]
        pulls = self.api.call("GET", f"{self.path}/pulls", fields={"head": f"{owner}:{branch}", "state": "all"})
        return next((p for p in pulls or [] if p["head"]["ref"] == branch), None)

    def open_draft(self, branch: str, base: str, title: str, body: str) -> dict[str, Any]:
        draft = {"title": title, "head": branch, "base": base, "body": body, "draft": True}
        return dict(self.api.call("POST", f"{self.path}/pulls", draft) or {})

    def similar(self, report: Report, number: int, limit: int = 5) -> list[tuple[dict[str, Any], str]]:
        """Other autoheal issues on the same crash: (issue, why), same fingerprint first, then shared frames."""
        query = f'repo:{self.api.repo} is:issue "{report.exc_type}"'
        found = (self.api.call("GET", "/search/issues", fields={"q": query, "per_page": "50"}) or {}).get("items", [])
        mine = {(f.module, f.function) for f in report.frames if f.in_app}
        scored = []
        for item in found:
            other = from_issue_body(item.get("body") or "") if item["number"] != number else None
            if other is None:
                continue
            shared = mine & {(f.module, f.function) for f in other.frames if f.in_app}
            if other.fingerprint == report.fingerprint:
                scored.append((2, item, "same fingerprint"))
            elif shared:
                scored.append((1, item, "shares " + ", ".join(sorted(f"`{m}.{fn}`" for m, fn in shared))))
        scored.sort(key=lambda s: (-s[0], -s[1]["number"]))
        return [(item, why) for _, item, why in scored[:limit]]

    def assign_copilot(self, number: int, agent_assignment: dict[str, str]) -> str | None:
        """Hand the issue to the Copilot coding agent; None on success, else why it could not be."""
        try:
            issue = self.api.call(
                "POST",
                f"{self.path}/issues/{number}/assignees",
                {"assignees": [COPILOT], "agent_assignment": agent_assignment},
            )
        except GitHubRejected as e:
            return f"the assignment was refused ({e}); it needs a user token and Copilot coding agent enabled"
        logins = {a.get("login") for a in (issue or {}).get("assignees", [])}
        if not logins & COPILOT_LOGINS:
            return "GitHub accepted the request but did not assign Copilot (coding agent not enabled here?)"
        return None


def copilot_api(api: GitHubApi) -> GitHubApi:
    """The client for the Copilot assignment: GitHub requires a user token there (AUTOHEAL_COPILOT_TOKEN),
    which an Actions GITHUB_TOKEN is not; without one the main client is tried and its refusal reported."""
    token = os.environ.get("AUTOHEAL_COPILOT_TOKEN", "").strip()
    return connect(api.repo, token) if token else api
