"""Plain records for everything the fake GitHub stores; the REST and GraphQL layers render them."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any


def iso(moment: datetime) -> str:
    """GitHub's timestamp format."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def later(stamp: str, seconds: float) -> str:
    """A GitHub timestamp `seconds` after another."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return iso(moment + timedelta(seconds=seconds))


def now() -> str:
    """The current time, GitHub-formatted."""
    return iso(datetime.now(timezone.utc))


def node_id(kind: str, ident: int) -> str:
    """An opaque global GraphQL id, decodable so tests can debug it."""
    return base64.b64encode(f"{kind}:{ident}".encode()).decode().rstrip("=")


@dataclass
class User:
    login: str
    id: int
    name: str = ""
    type: str = "User"  # "User", "Bot" or "Organization"

    @property
    def node_id(self) -> str:
        return node_id(self.type, self.id)


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str = ""
    created_at: str = field(default_factory=now)

    @property
    def node_id(self) -> str:
        return node_id("Label", self.id)


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    author: str
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)

    @property
    def node_id(self) -> str:
        return node_id("IssueComment", self.id)


@dataclass
class PullInfo:
    """What a pull request has beyond an issue."""

    head_ref: str
    base_ref: str
    head_sha: str
    base_sha: str
    draft: bool = False
    merged_at: str | None = None
    additions: int = 10
    deletions: int = 2
    changed_files: int = 1
    commits: int = 1


@dataclass
class Issue:
    """An issue, or a pull request when `pull` is set (they share numbering, as on GitHub)."""

    id: int
    repo: str
    number: int
    title: str
    body: str
    author: str
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    closed_at: str | None = None
    locked: bool = False
    pull: PullInfo | None = None
    agent_assignments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return node_id("PullRequest" if self.pull else "Issue", self.id)


@dataclass
class Release:
    id: int
    tag_name: str
    name: str
    body: str
    author: str
    target_commitish: str = "main"
    draft: bool = False
    prerelease: bool = False
    created_at: str = field(default_factory=now)
    published_at: str | None = field(default_factory=now)

    @property
    def node_id(self) -> str:
        return node_id("Release", self.id)


@dataclass
class Commit:
    sha: str
    message: str
    author_name: str
    author_email: str
    author_login: str | None
    date: str
    parents: list[str] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return node_id("Commit", int(self.sha[:8], 16))


@dataclass
class Job:
    id: int
    run_id: int
    name: str
    status: str
    conclusion: str | None
    started_at: str
    completed_at: str | None
    steps: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class WorkflowRun:
    id: int
    name: str
    workflow_id: int
    path: str
    head_branch: str
    head_sha: str
    event: str
    status: str
    conclusion: str | None
    run_number: int
    actor: str
    display_title: str
    created_at: str
    updated_at: str
    run_attempt: int = 1
    jobs: list[Job] = field(default_factory=list)


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    private: bool = False
    default_branch: str = "main"
    description: str = ""
    homepage: str = ""
    topics: list[str] = field(default_factory=list)
    readme: str | None = None
    collaborators: set[str] = field(default_factory=set)
    labels: dict[str, Label] = field(default_factory=dict)  # keyed by lower-cased name
    issues: dict[int, Issue] = field(default_factory=dict)
    releases: list[Release] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)  # newest first
    runs: list[WorkflowRun] = field(default_factory=list)  # newest first
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    stars: int = 0
    forks: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def node_id(self) -> str:
        return node_id("Repository", self.id)

    def next_number(self) -> int:
        return max(self.issues, default=0) + 1
