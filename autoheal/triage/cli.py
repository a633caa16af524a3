"""`autoheal triage` and `autoheal init-workflow`: the entry points the autoheal CLI wires in."""

from __future__ import annotations

import os
import re
import sys
from importlib import resources
from pathlib import Path

from autoheal import config as autoheal_config
from autoheal.report import Report
from autoheal.sinks.github_api import GitHubRejected, GitHubUnavailable
from autoheal.token import find_token

from . import compose, git
from .context import Context
from .crash import from_issue_body
from .github import Hub, TriageError, connect, copilot_api
from .patterns import Fix, propose
from .verify import Verification, verify

WORKFLOW = Path(".github/workflows/auto-heal.yml")
_FINGERPRINT = re.compile(r"[0-9a-f]{8,128}")


def triage(*, issue: int, repo: str | None = None, workdir: str | None = None) -> int:
    """Turn autoheal issue N into a verified draft PR, or one analysis comment and a hand-off. Exit status."""
    try:
        print(run(int(issue), repo, Path(workdir or ".")))
    except (TriageError, GitHubRejected, GitHubUnavailable) as e:
        print(f"autoheal triage: {e}", file=sys.stderr)
        return 1
    return 0


def sweep(*, repo: str | None = None, workdir: str | None = None, limit: int = 20) -> int:
    """Triage the open auto-heal issues no triage has answered yet, oldest first. Exit status.

    The scheduled trigger: GitHub starts no workflow for an issue filed with a workflow's GITHUB_TOKEN (how
    crashes in CI are reported), so a sweep finds them. Issues handed off already (`needs-triage`) are left
    alone; the rest are skipped by `run` itself when an earlier run left its PR or analysis.
    """
    try:
        hub = Hub(connect(repo))
        label = (autoheal_config.load().labels or ("auto-heal",))[0]
        fields = {"labels": label, "state": "open", "sort": "created", "direction": "asc", "per_page": "100"}
        found = hub.api.call("GET", f"{hub.path}/issues", fields=fields) or []
    except (TriageError, GitHubRejected, GitHubUnavailable) as e:
        print(f"autoheal triage: {e}", file=sys.stderr)
        return 1
    waiting = [
        item["number"]
        for item in found
        if "pull_request" not in item and "needs-triage" not in {lab.get("name") for lab in item.get("labels", [])}
    ]
    print(
        f"{len(waiting)} open {label} issue(s) to look at"
        + (f"; the first {limit} now" if len(waiting) > limit else "")
    )
    failed = 0
    for number in waiting[:limit]:
        failed += triage(issue=number, repo=repo, workdir=workdir)
    return 1 if failed else 0


LOCAL_ACTION = "uses: ./ # zizmor: ignore[self-repository] autoheal:action"
_ACTION_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}@[0-9a-f]{40}")


def workflow_text(action: str | None = None) -> str:
    """The template; with `action` (OWNER/NAME@<40-hex commit>) it installs autoheal from that pinned commit
    of the action's repository instead of from the checkout (`./`, right only in this project itself)."""
    template = resources.files("autoheal").joinpath("templates/auto-heal.yml").read_text(encoding="utf-8")
    if action is None:
        return template
    if not _ACTION_REF.fullmatch(action):
        raise ValueError(f"--action must be OWNER/NAME@<40-hex commit sha>, got {action!r}")
    return template.replace(LOCAL_ACTION, f"uses: {action} # autoheal:action")


def init_workflow(path: str = ".", action: str | None = None) -> int:
    """Write the auto-heal workflow into the repository at `path`; an existing different file is left alone."""
    try:
        template = workflow_text(action)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    target = Path(path) / WORKFLOW
    if target.exists() and target.read_text(encoding="utf-8") != template:
        print(f"{target} exists and differs from the template; not overwriting it", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(template, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def run(number: int, repo: str | None, workdir: Path) -> str:
    """One triage; a line saying what it did."""
    hub = Hub(connect(repo))
    report = from_issue_body(hub.issue(number).get("body") or "")
    if report is None:
        raise TriageError(f"issue #{number} carries no autoheal report")
    if not _FINGERPRINT.fullmatch(report.fingerprint):
        raise TriageError(f"issue #{number} has a malformed fingerprint; refusing to use it in a branch name")
    branch = f"autoheal/{report.fingerprint[:12]}"
    done = _already_done(hub, number, report, branch)
    if done:
        return done
    base = hub.default_branch()
    token = find_token()[0]
    with git.worktree(workdir, base, token) as tree:
        fix = propose(report, tree)
        checked = verify(report, fix, tree) if fix else None
        context = Context.of(hub.html_url(), report, tree)
        if checked and checked.status == "verified" and checked.fix:
            return _open_pull(hub, number, report, checked, context, tree, branch, base, token)
    return _hand_off(hub, number, report, fix, checked, base, context)


def _already_done(hub: Hub, number: int, report: Report, branch: str) -> str | None:
    """What an earlier run left: its pull request (re-linked if the comment is missing) or its analysis."""
    comments = [c.get("body") or "" for c in hub.comments(number)]
    pull = hub.pull_for(branch)
    if pull:
        if not any(compose.marker("pr-link", report.fingerprint) in body for body in comments):
            hub.comment(number, compose.pr_comment(report, pull))
        return f"draft PR #{pull['number']} already exists for issue #{number}"
    if any(compose.marker("analysis", report.fingerprint) in body for body in comments):
        return f"issue #{number} already has an autoheal analysis"
    return None


def _open_pull(
    hub: Hub,
    number: int,
    report: Report,
    checked: Verification,
    context: Context,
    tree: Path,
    branch: str,
    base: str,
    token: str | None,
) -> str:
    fix = checked.fix
    assert fix is not None  # only a verified fix, which names its final form, reaches here
    if not git.remote_has(tree, branch, token):
        git.commit(tree, branch, list(fix.edits), f"{fix.title}\n\nFixes #{number} (autoheal pattern {fix.pattern}).")
        git.push(tree, branch, token)
    body = compose.pr_body(number, report, fix, checked, context)
    pull = hub.open_draft(branch, base, compose.pr_title(fix), _redact(body, token))
    hub.comment(number, compose.pr_comment(report, pull))
    return f"opened draft PR #{pull['number']} for issue #{number} (verified)"


def _hand_off(
    hub: Hub,
    number: int,
    report: Report,
    fix: Fix | None,
    checked: Verification | None,
    base: str,
    context: Context,
) -> str:
    """No verified fix: hand the issue to Copilot if asked and possible, else to a human via `needs-triage`."""
    if os.environ.get("AUTOHEAL_COPILOT") == "1":
        assignment = {
            "target_repo": hub.api.repo,
            "base_branch": base,
            "custom_instructions": compose.copilot_instructions(number, report, context),
        }
        problem = Hub(copilot_api(hub.api)).assign_copilot(number, assignment)
        step = (
            "Assigned to the Copilot coding agent."
            if problem is None
            else f"Labelled `needs-triage`: the Copilot assignment failed: {problem}."
        )
    else:
        problem = "AUTOHEAL_COPILOT is not 1"
        step = "Labelled `needs-triage` for a maintainer (set `AUTOHEAL_COPILOT=1` to hand such issues to Copilot)."
    if problem is not None:
        hub.label(number, "needs-triage")
    tried = compose.tried_text(fix, checked)
    body = compose.analysis(number, report, hub.similar(report, number), tried, step, context)
    hub.comment(number, _redact(body, find_token()[0]))
    return f"posted an analysis on issue #{number}: {step}"


def _redact(text: str, token: str | None) -> str:
    """Belt and braces: a token that somehow reached output never reaches GitHub."""
    return text.replace(token, "***") if token else text
