"""The hub's mutable state, shared by the server threads and the test code behind one lock."""

from __future__ import annotations

import hashlib
import itertools
import shlex
import threading
import time
from collections.abc import Iterable
from typing import Any

from .models import (
    Comment,
    Commit,
    Issue,
    Job,
    Label,
    PullInfo,
    Release,
    Repo,
    User,
    WorkflowRun,
    later,
    now,
)


class NotFound(KeyError):
    """A lookup miss; the HTTP layers turn it into a 404."""


def fake_sha(*parts: object) -> str:
    """A deterministic 40-hex SHA so seeded data is stable across runs."""
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


class Store:
    """Users, tokens and repositories. Every public method takes the (re-entrant) lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(1000)
        self.users: dict[str, User] = {}
        self._tokens: dict[str, str] = {}  # token -> login; never logged or written out
        self.repos: dict[str, Repo] = {}  # keyed by lower-cased "owner/name"
        # GitHub's search index trails new issues by seconds; listing issues (by label too) does not.
        self.search_lag_s = 0.0
        self._opened_at: dict[int, float] = {}  # issue id -> time.monotonic() when it was opened

    def new_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # -- users -------------------------------------------------------------
    def add_user(self, login: str, token: str | None = None, name: str = "", type: str = "User") -> User:
        """Register an identity; with a token, requests bearing it act as this user."""
        with self.lock:
            user = self.users.get(login.lower()) or User(login=login, id=self.new_id(), name=name, type=type)
            self.users[login.lower()] = user
            if token:
                self._tokens[token] = user.login
            return user

    def user(self, login: str) -> User:
        """The user record, created on first mention so seeded authors need no ceremony."""
        with self.lock:
            found = self.users.get(login.lower())
            if found:
                return found
            return self.add_user(login, type="Bot" if login.endswith("[bot]") else "User")

    def login_for_token(self, token: str) -> str | None:
        with self.lock:
            return self._tokens.get(token)

    # -- repositories ------------------------------------------------------
    def add_repo(self, full_name: str, private: bool = False, default_branch: str = "main", **extra: Any) -> Repo:
        """Create a repository (its owner always sees it, even when private)."""
        owner, name = full_name.split("/", 1)
        with self.lock:
            self.user(owner)
            repo = Repo(
                owner=owner, name=name, id=self.new_id(), private=private, default_branch=default_branch, **extra
            )
            self.repos[full_name.lower()] = repo
            return repo

    def get_repo(self, full_name: str, viewer: str | None = None, check: bool = False) -> Repo:
        """Find a repo; with check=True a private repo the viewer cannot see is a miss, like GitHub's 404."""
        with self.lock:
            repo = self.repos.get(full_name.lower())
            if repo is None or (check and not self.can_see(repo, viewer)):
                raise NotFound(full_name)
            return repo

    def can_see(self, repo: Repo, viewer: str | None) -> bool:
        if not repo.private:
            return True
        return viewer is not None and (viewer.lower() == repo.owner.lower() or viewer.lower() in repo.collaborators)

    def visible_repos(self, viewer: str | None) -> list[Repo]:
        with self.lock:
            return [r for r in self.repos.values() if self.can_see(r, viewer)]

    # -- issues and pulls --------------------------------------------------
    def get_issue(self, full_name: str, number: int) -> Issue:
        with self.lock:
            issue = self.get_repo(full_name).issues.get(int(number))
            if issue is None:
                raise NotFound(f"{full_name}#{number}")
            return issue

    def add_issue(
        self,
        full_name: str,
        title: str,
        body: str = "",
        author: str = "octocat",
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        state: str = "open",
        **extra: Any,
    ) -> Issue:
        """Open (or seed) an issue; unknown labels are created on the fly, as tests rarely care."""
        with self.lock:
            repo = self.get_repo(full_name)
            self.user(author)
            names = [self.ensure_label(full_name, label).name for label in labels]
            issue = Issue(
                id=self.new_id(),
                repo=repo.full_name,
                number=repo.next_number(),
                title=title,
                body=body,
                author=author,
                labels=names,
                assignees=list(assignees),
                **extra,
            )
            repo.issues[issue.number] = issue
            self._opened_at[issue.id] = time.monotonic()
            if state != "open":
                self.set_issue_state(issue, state)
            return issue

    def add_pull(
        self,
        full_name: str,
        title: str,
        head: str,
        base: str | None = None,
        body: str = "",
        draft: bool = False,
        author: str = "octocat",
        **extra: Any,
    ) -> Issue:
        """Open a pull request from branch `head` into `base` (the default branch if omitted)."""
        with self.lock:
            repo = self.get_repo(full_name)
            base_sha = repo.commits[0].sha if repo.commits else fake_sha(full_name, "base")
            pull = PullInfo(
                head_ref=head,
                base_ref=base or repo.default_branch,
                head_sha=fake_sha(full_name, "head", head),
                base_sha=base_sha,
                draft=draft,
            )
            return self.add_issue(full_name, title, body, author, pull=pull, **extra)

    def set_issue_state(self, issue: Issue, state: str, reason: str | None = None) -> None:
        """Close or reopen; "merged" closes a pull request as merged."""
        with self.lock:
            stamp = now()
            issue.updated_at = stamp
            if state == "open":
                issue.state, issue.state_reason, issue.closed_at = "open", "reopened", None
                return
            issue.state, issue.closed_at = "closed", stamp
            issue.state_reason = reason or "completed"
            if state == "merged" and issue.pull:
                issue.pull.merged_at = stamp

    def add_comment(self, full_name: str, number: int, body: str, author: str = "octocat") -> Comment:
        with self.lock:
            issue = self.get_issue(full_name, number)
            self.user(author)
            comment = Comment(id=self.new_id(), issue_number=issue.number, body=body, author=author)
            issue.comments.append(comment)
            issue.updated_at = comment.created_at
            return comment

    def find_comment(self, full_name: str, comment_id: int) -> Comment:
        with self.lock:
            for issue in self.get_repo(full_name).issues.values():
                for comment in issue.comments:
                    if comment.id == int(comment_id):
                        return comment
            raise NotFound(f"comment {comment_id}")

    def assign(
        self, full_name: str, number: int, logins: Iterable[str], agent_assignment: dict[str, Any] | None = None
    ) -> Issue:
        """Add assignees; a Copilot-style `agent_assignment` payload is kept for tests to inspect."""
        with self.lock:
            issue = self.get_issue(full_name, number)
            for login in logins:
                self.user(login)
                if login not in issue.assignees:
                    issue.assignees.append(login)
            if agent_assignment is not None:
                issue.agent_assignments.append({"assignees": list(logins), **agent_assignment})
            issue.updated_at = now()
            return issue

    # -- labels, releases, commits, runs -----------------------------------
    def ensure_label(self, full_name: str, name: str, color: str = "ededed", description: str = "") -> Label:
        with self.lock:
            repo = self.get_repo(full_name)
            label = repo.labels.get(name.lower())
            if label is None:
                label = Label(id=self.new_id(), name=name, color=color, description=description)
                repo.labels[name.lower()] = label
            return label

    def add_label(self, full_name: str, name: str, color: str = "ededed", description: str = "") -> Label:
        """Create a label; a duplicate name is a ValueError (the REST layer answers 422)."""
        with self.lock:
            if name.lower() in self.get_repo(full_name).labels:
                raise ValueError(f"label {name!r} already exists")
            return self.ensure_label(full_name, name, color, description)

    def add_release(
        self, full_name: str, tag_name: str, name: str = "", body: str = "", author: str = "octocat", **extra: Any
    ) -> Release:
        with self.lock:
            repo = self.get_repo(full_name)
            release = Release(
                id=self.new_id(),
                tag_name=tag_name,
                name=name or tag_name,
                body=body,
                author=author,
                target_commitish=repo.default_branch,
                **extra,
            )
            repo.releases.insert(0, release)
            return release

    def add_commit(
        self,
        full_name: str,
        message: str,
        author_login: str | None = "octocat",
        date: str | None = None,
        sha: str | None = None,
    ) -> Commit:
        """Push a commit on top of the default branch."""
        with self.lock:
            repo = self.get_repo(full_name)
            parents = [repo.commits[0].sha] if repo.commits else []
            login = author_login or "ghost"
            commit = Commit(
                sha=sha or fake_sha(full_name, len(repo.commits), message),
                message=message,
                author_name=login.title(),
                author_email=f"{login}@users.noreply.github.com",
                author_login=author_login,
                date=date or now(),
                parents=parents,
            )
            repo.commits.insert(0, commit)
            return commit

    def add_run(
        self,
        full_name: str,
        name: str = "CI",
        status: str = "completed",
        conclusion: str | None = "success",
        head_sha: str | None = None,
        event: str = "push",
        jobs: Iterable[str] = ("build", "test"),
        created_at: str | None = None,
        duration_s: float = 150,
        **extra: Any,
    ) -> WorkflowRun:
        """Record a workflow run with one job per name (each with a few steps), finished after `duration_s`."""
        with self.lock:
            repo = self.get_repo(full_name)
            stamp = created_at or now()
            finished = later(stamp, duration_s) if status == "completed" else stamp
            sha = head_sha or (repo.commits[0].sha if repo.commits else fake_sha(full_name, "run"))
            same = [r for r in repo.runs if r.name == name]
            run = WorkflowRun(
                id=self.new_id(),
                name=name,
                workflow_id=self._workflow_id(repo, name),
                path=f".github/workflows/{name.lower().replace(' ', '-')}.yml",
                head_branch=repo.default_branch,
                head_sha=sha,
                event=event,
                status=status,
                conclusion=conclusion,
                run_number=len(same) + 1,
                actor=repo.owner,
                display_title=extra.pop("display_title", f"{name} on {sha[:7]}"),
                created_at=stamp,
                updated_at=finished,
                **extra,
            )
            names = list(jobs)
            run.jobs = [self._job(run, job_name, i == len(names) - 1) for i, job_name in enumerate(names)]
            repo.runs.insert(0, run)
            return run

    def _workflow_id(self, repo: Repo, name: str) -> int:
        existing = next((r.workflow_id for r in repo.runs if r.name == name), None)
        return existing if existing is not None else self.new_id()

    def _job(self, run: WorkflowRun, name: str, last: bool) -> Job:
        """A job of `run`; in a failed run only the last job (and its main step) fails, as usually happens."""
        done = run.status == "completed"
        failing = done and run.conclusion == "failure" and last
        conclusion = run.conclusion if done and run.conclusion != "failure" else None
        if done and run.conclusion == "failure":
            conclusion = "failure" if failing else "success"
        steps = [
            {
                "name": step,
                "status": run.status,
                "number": i + 1,
                "started_at": run.created_at,
                "completed_at": run.updated_at if done else None,
                "conclusion": ("failure" if failing and i == 1 else "success") if done else None,
            }
            for i, step in enumerate(("Set up job", f"Run {name}", "Complete job"))
        ]
        return Job(
            id=self.new_id(),
            run_id=run.id,
            name=name,
            status=run.status,
            conclusion=conclusion,
            started_at=run.created_at,
            completed_at=run.updated_at if done else None,
            steps=steps,
        )

    def find_run(self, full_name: str, run_id: int) -> WorkflowRun:
        with self.lock:
            for run in self.get_repo(full_name).runs:
                if run.id == int(run_id):
                    return run
            raise NotFound(f"run {run_id}")

    def find_job(self, full_name: str, job_id: int) -> Job:
        with self.lock:
            for run in self.get_repo(full_name).runs:
                for job in run.jobs:
                    if job.id == int(job_id):
                        return job
            raise NotFound(f"job {job_id}")

    # -- global ids and search ---------------------------------------------
    def by_node_id(self, ident: str) -> tuple[Repo | None, Any]:
        """Resolve a GraphQL global id to (its repository, the record)."""
        with self.lock:
            for user in self.users.values():
                if user.node_id == ident:
                    return None, user
            for repo in self.repos.values():
                if repo.node_id == ident:
                    return repo, repo
                record: Any
                for record in itertools.chain(repo.issues.values(), repo.labels.values(), repo.releases):
                    if record.node_id == ident:
                        return repo, record
                for issue in repo.issues.values():
                    for comment in issue.comments:
                        if comment.node_id == ident:
                            return repo, comment
            raise NotFound(ident)

    def search_issues(self, query: str, viewer: str | None) -> list[Issue]:
        """GitHub issue search over visible repos: qualifiers plus case-insensitive substring terms."""
        with self.lock:
            search = IssueQuery(query)
            repos = [r for r in self.visible_repos(viewer) if search.wants_repo(r)]
            indexed_before = time.monotonic() - self.search_lag_s
            hits = [
                i
                for r in repos
                for i in r.issues.values()
                if self._opened_at.get(i.id, 0.0) <= indexed_before and search.matches(i)
            ]
            return sorted(hits, key=lambda i: (i.created_at, i.id), reverse=True)


class IssueQuery:
    """A parsed search string: `repo:`, `is:`, `type:`, `state:`, `label:`, `author:`, `assignee:`, `in:`, terms."""

    QUALIFIERS = {
        "repo",
        "is",
        "type",
        "state",
        "label",
        "author",
        "assignee",
        "in",
        "user",
        "org",
        "head",
        "base",
        "sort",
        "no",
    }

    def __init__(self, query: str) -> None:
        self.filters: dict[str, list[str]] = {}
        self.terms: list[str] = []
        try:
            words = shlex.split(query)
        except ValueError:
            words = query.split()
        for word in words:
            key, sep, value = word.partition(":")
            if sep and key.lower() in self.QUALIFIERS and value:
                self.filters.setdefault(key.lower(), []).append(value.strip('"'))
            else:
                self.terms.append(word.lower())

    def wants_repo(self, repo: Repo) -> bool:
        names = [n.lower() for n in self.filters.get("repo", [])]
        owners = [n.lower() for n in self.filters.get("user", []) + self.filters.get("org", [])]
        return (not names or repo.full_name.lower() in names) and (not owners or repo.owner.lower() in owners)

    def matches(self, issue: Issue) -> bool:
        return self._kind_ok(issue) and self._fields_ok(issue) and self._terms_ok(issue)

    def _kind_ok(self, issue: Issue) -> bool:
        for value in self.filters.get("is", []) + self.filters.get("type", []) + self.filters.get("state", []):
            value = value.lower()
            if value in ("issue", "pr", "pull-request") and (value == "issue") == bool(issue.pull):
                return False
            if value in ("open", "closed") and issue.state != value:
                return False
            if value == "merged" and not (issue.pull and issue.pull.merged_at):
                return False
            if value == "draft" and not (issue.pull and issue.pull.draft):
                return False
        return True

    def _fields_ok(self, issue: Issue) -> bool:
        labels = {name.lower() for name in issue.labels}
        if any(value.lower() not in labels for value in self.filters.get("label", [])):
            return False
        if any(value.lower() != issue.author.lower() for value in self.filters.get("author", [])):
            return False
        assignees = {login.lower() for login in issue.assignees}
        if any(value.lower() not in assignees for value in self.filters.get("assignee", [])):
            return False
        if "head" in self.filters and not (issue.pull and issue.pull.head_ref in self.filters["head"]):
            return False
        if "base" in self.filters and not (issue.pull and issue.pull.base_ref in self.filters["base"]):
            return False
        missing = {value.lower() for value in self.filters.get("no", [])}
        return not ("assignee" in missing and issue.assignees) and not ("label" in missing and issue.labels)

    def _terms_ok(self, issue: Issue) -> bool:
        where = {w.lower() for value in self.filters.get("in", []) for w in value.split(",")} or {"title", "body"}
        haystack = []
        if "title" in where:
            haystack.append(issue.title)
        if "body" in where:
            haystack.append(issue.body)
        if "comments" in where:
            haystack.extend(c.body for c in issue.comments)
        text = "\n".join(haystack).lower()
        return all(term in text for term in self.terms)
