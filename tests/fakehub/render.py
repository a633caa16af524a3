"""GitHub REST JSON shapes for the stored records (only the fields clients actually read, plus the usual URLs)."""

from __future__ import annotations

from typing import Any

from .calls import Call
from .models import Comment, Commit, Issue, Job, Label, Release, Repo, User, WorkflowRun


def user(call: Call, account: User) -> dict[str, Any]:
    return {
        "login": account.login,
        "id": account.id,
        "node_id": account.node_id,
        "type": account.type,
        "name": account.name or None,
        "site_admin": False,
        "avatar_url": f"{call.web_base}/avatars/{account.login}",
        "html_url": f"{call.web_base}/{account.login}",
        "url": f"{call.api_base}/users/{account.login}",
    }


def login(call: Call, name: str | None) -> dict[str, Any] | None:
    return user(call, call.store.user(name)) if name else None


def repo(call: Call, record: Repo) -> dict[str, Any]:
    api = f"{call.api_base}/repos/{record.full_name}"
    return {
        "id": record.id,
        "node_id": record.node_id,
        "name": record.name,
        "full_name": record.full_name,
        "owner": login(call, record.owner),
        "private": record.private,
        "visibility": "private" if record.private else "public",
        "description": record.description or None,
        "fork": False,
        "homepage": record.homepage or None,
        "topics": record.topics,
        "default_branch": record.default_branch,
        "html_url": f"{call.web_base}/{record.full_name}",
        "url": api,
        "clone_url": f"{call.web_base}/{record.full_name}.git",
        "ssh_url": f"git@localhost:{record.full_name}.git",
        "issues_url": f"{api}/issues{{/number}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "stargazers_count": record.stars,
        "watchers_count": record.stars,
        "forks_count": record.forks,
        "open_issues_count": sum(1 for i in record.issues.values() if i.state == "open"),
        "has_issues": True,
        "has_wiki": True,
        "has_projects": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "pushed_at": record.commits[0].date if record.commits else record.created_at,
        "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
    }


def label(call: Call, record: Repo, item: Label) -> dict[str, Any]:
    return {
        "id": item.id,
        "node_id": item.node_id,
        "name": item.name,
        "color": item.color,
        "description": item.description or None,
        "default": False,
        "url": f"{call.api_base}/repos/{record.full_name}/labels/{item.name}",
    }


def issue(call: Call, record: Repo, item: Issue) -> dict[str, Any]:
    api = f"{call.api_base}/repos/{record.full_name}"
    kind = "pull" if item.pull else "issues"
    data = {
        "id": item.id,
        "node_id": item.node_id,
        "number": item.number,
        "title": item.title,
        "body": item.body,
        "state": item.state,
        "state_reason": item.state_reason,
        "locked": item.locked,
        "user": login(call, item.author),
        "labels": [label(call, record, record.labels[n.lower()]) for n in item.labels],
        "assignee": login(call, item.assignees[0]) if item.assignees else None,
        "assignees": [login(call, name) for name in item.assignees],
        "milestone": None,
        "comments": len(item.comments),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "author_association": "OWNER" if item.author == record.owner else "CONTRIBUTOR",
        "url": f"{api}/issues/{item.number}",
        "repository_url": api,
        "comments_url": f"{api}/issues/{item.number}/comments",
        "html_url": f"{call.web_base}/{record.full_name}/{kind}/{item.number}",
    }
    if item.pull:
        data["pull_request"] = {
            "url": f"{api}/pulls/{item.number}",
            "merged_at": item.pull.merged_at,
            "html_url": f"{call.web_base}/{record.full_name}/pull/{item.number}",
        }
    return data


def pull(call: Call, record: Repo, item: Issue) -> dict[str, Any]:
    assert item.pull is not None
    data = issue(call, record, item)
    data.pop("pull_request")
    info = item.pull
    data.update(
        {
            "url": f"{call.api_base}/repos/{record.full_name}/pulls/{item.number}",
            "draft": info.draft,
            "merged": info.merged_at is not None,
            "merged_at": info.merged_at,
            "mergeable": True,
            "head": branch(call, record, info.head_ref, info.head_sha),
            "base": branch(call, record, info.base_ref, info.base_sha),
            "additions": info.additions,
            "deletions": info.deletions,
            "changed_files": info.changed_files,
            "commits": info.commits,
            "review_comments": 0,
            "maintainer_can_modify": True,
            "requested_reviewers": [],
            "requested_teams": [],
        }
    )
    return data


def branch(call: Call, record: Repo, name: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{record.owner}:{name}",
        "ref": name,
        "sha": sha,
        "user": login(call, record.owner),
        "repo": repo(call, record),
    }


def comment(call: Call, record: Repo, item: Comment) -> dict[str, Any]:
    api = f"{call.api_base}/repos/{record.full_name}"
    return {
        "id": item.id,
        "node_id": item.node_id,
        "body": item.body,
        "user": login(call, item.author),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "author_association": "OWNER",
        "url": f"{api}/issues/comments/{item.id}",
        "issue_url": f"{api}/issues/{item.issue_number}",
        "html_url": f"{call.web_base}/{record.full_name}/issues/{item.issue_number}#issuecomment-{item.id}",
    }


def release(call: Call, record: Repo, item: Release) -> dict[str, Any]:
    api = f"{call.api_base}/repos/{record.full_name}/releases/{item.id}"
    return {
        "id": item.id,
        "node_id": item.node_id,
        "tag_name": item.tag_name,
        "name": item.name,
        "body": item.body,
        "draft": item.draft,
        "prerelease": item.prerelease,
        "target_commitish": item.target_commitish,
        "created_at": item.created_at,
        "published_at": item.published_at,
        "author": login(call, item.author),
        "assets": [],
        "url": api,
        "assets_url": f"{api}/assets",
        "upload_url": f"{api}/assets{{?name,label}}",
        "html_url": f"{call.web_base}/{record.full_name}/releases/tag/{item.tag_name}",
        "tarball_url": f"{call.api_base}/repos/{record.full_name}/tarball/{item.tag_name}",
        "zipball_url": f"{call.api_base}/repos/{record.full_name}/zipball/{item.tag_name}",
    }


def commit(call: Call, record: Repo, item: Commit) -> dict[str, Any]:
    api = f"{call.api_base}/repos/{record.full_name}"
    person = {"name": item.author_name, "email": item.author_email, "date": item.date}
    return {
        "sha": item.sha,
        "node_id": item.node_id,
        "url": f"{api}/commits/{item.sha}",
        "html_url": f"{call.web_base}/{record.full_name}/commit/{item.sha}",
        "commit": {
            "message": item.message,
            "author": person,
            "committer": person,
            "comment_count": 0,
            "tree": {"sha": item.sha[::-1], "url": f"{api}/git/trees/{item.sha[::-1]}"},
            "url": f"{api}/git/commits/{item.sha}",
        },
        "author": login(call, item.author_login),
        "committer": login(call, item.author_login),
        "parents": [{"sha": p, "url": f"{api}/commits/{p}"} for p in item.parents],
    }


def run(call: Call, record: Repo, item: WorkflowRun) -> dict[str, Any]:
    api = f"{call.api_base}/repos/{record.full_name}/actions/runs/{item.id}"
    head = next((c for c in record.commits if c.sha == item.head_sha), None)
    return {
        "id": item.id,
        "name": item.name,
        "node_id": f"WFR_{item.id}",
        "workflow_id": item.workflow_id,
        "path": item.path,
        "head_branch": item.head_branch,
        "head_sha": item.head_sha,
        "event": item.event,
        "status": item.status,
        "conclusion": item.conclusion,
        "run_number": item.run_number,
        "run_attempt": item.run_attempt,
        "display_title": item.display_title,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "run_started_at": item.created_at,
        "actor": login(call, item.actor),
        "triggering_actor": login(call, item.actor),
        "url": api,
        "jobs_url": f"{api}/jobs",
        "logs_url": f"{api}/logs",
        "html_url": f"{call.web_base}/{record.full_name}/actions/runs/{item.id}",
        "workflow_url": f"{call.api_base}/repos/{record.full_name}/actions/workflows/{item.workflow_id}",
        "head_commit": {
            "id": item.head_sha,
            "message": head.message if head else item.display_title,
            "timestamp": head.date if head else item.created_at,
        },
        "repository": {"id": record.id, "name": record.name, "full_name": record.full_name},
        "head_repository": {"id": record.id, "name": record.name, "full_name": record.full_name},
        "pull_requests": [],
    }


def job(call: Call, record: Repo, item: Job, parent: WorkflowRun) -> dict[str, Any]:
    return {
        "id": item.id,
        "run_id": item.run_id,
        "name": item.name,
        "status": item.status,
        "conclusion": item.conclusion,
        "started_at": item.started_at,
        "completed_at": item.completed_at,
        "head_sha": parent.head_sha,
        "head_branch": parent.head_branch,
        "workflow_name": parent.name,
        "run_attempt": parent.run_attempt,
        "steps": item.steps,
        "labels": ["ubuntu-latest"],
        "url": f"{call.api_base}/repos/{record.full_name}/actions/jobs/{item.id}",
        "html_url": f"{call.web_base}/{record.full_name}/actions/runs/{item.run_id}/job/{item.id}",
        "run_url": f"{call.api_base}/repos/{record.full_name}/actions/runs/{item.run_id}",
        "check_run_url": f"{call.api_base}/repos/{record.full_name}/check-runs/{item.id}",
    }


def workflow(call: Call, record: Repo, first: WorkflowRun) -> dict[str, Any]:
    return {
        "id": first.workflow_id,
        "node_id": f"W_{first.workflow_id}",
        "name": first.name,
        "path": first.path,
        "state": "active",
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "url": f"{call.api_base}/repos/{record.full_name}/actions/workflows/{first.workflow_id}",
        "html_url": f"{call.web_base}/{record.full_name}/blob/{record.default_branch}/{first.path}",
    }
