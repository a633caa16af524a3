"""GitHub REST JSON shapes for the stored records: every field api.github.com's OpenAPI description marks
required (the contract tests check each answer against it), with GitHub's URL templates."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .calls import Call
from .models import Comment, Commit, Issue, Job, Label, Release, Repo, User, WorkflowRun


def user(call: Call, account: User) -> dict[str, Any]:
    """A simple-user (the shape nested in every other object)."""
    api = f"{call.api_base}/users/{account.login}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": account.node_id,
        "type": account.type,
        "name": account.name or None,
        "site_admin": False,
        "user_view_type": "public",
        "avatar_url": f"{call.web_base}/avatars/{account.login}",
        "gravatar_id": "",
        "html_url": f"{call.web_base}/{account.login}",
        "url": api,
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
    }


def profile(call: Call, account: User, private: bool) -> dict[str, Any]:
    """`GET /users/X` (public-user) or, for the token's own account, `GET /user` (private-user)."""
    data = user(call, account)
    created = "2011-01-25T18:44:36Z"
    data.update(
        {
            "user_view_type": "private" if private else "public",
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": sum(1 for r in call.store.visible_repos(None) if r.owner.lower() == account.login.lower()),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": created,
            "updated_at": created,
        }
    )
    if private:
        data.update(
            {
                "private_gists": 0,
                "total_private_repos": 0,
                "owned_private_repos": 0,
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": True,
                "plan": {"name": "free", "space": 976562499, "private_repos": 10000, "collaborators": 0},
            }
        )
    return data


def login(call: Call, name: str | None) -> dict[str, Any] | None:
    return user(call, call.store.user(name)) if name else None


#: A repository's hypermedia URL templates, as GitHub lists them (name -> path under /repos/OWNER/NAME).
REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def minimal_repo(call: Call, record: Repo) -> dict[str, Any]:
    """A minimal-repository: identity, owner and the URL templates (nested in runs, search hits...)."""
    api = f"{call.api_base}/repos/{record.full_name}"
    return {
        "id": record.id,
        "node_id": record.node_id,
        "name": record.name,
        "full_name": record.full_name,
        "owner": login(call, record.owner),
        "private": record.private,
        "description": record.description or None,
        "fork": False,
        "html_url": f"{call.web_base}/{record.full_name}",
        "url": api,
        **{key: api + path for key, path in REPO_URLS.items()},
    }


def repo(call: Call, record: Repo) -> dict[str, Any]:
    """A full-repository."""
    open_issues = sum(1 for i in record.issues.values() if i.state == "open")
    data = minimal_repo(call, record)
    data.update(
        {
            "visibility": "private" if record.private else "public",
            "homepage": record.homepage or None,
            "language": None,
            "license": None,
            "topics": record.topics,
            "default_branch": record.default_branch,
            "clone_url": f"{call.web_base}/{record.full_name}.git",
            "git_url": f"git://localhost/{record.full_name}.git",
            "ssh_url": f"git@localhost:{record.full_name}.git",
            "svn_url": f"{call.web_base}/{record.full_name}",
            "mirror_url": None,
            "stargazers_count": record.stars,
            "watchers_count": record.stars,
            "watchers": record.stars,
            "subscribers_count": record.stars,
            "network_count": record.forks,
            "forks_count": record.forks,
            "forks": record.forks,
            "open_issues_count": open_issues,
            "open_issues": open_issues,
            "size": 100,
            "has_issues": True,
            "has_wiki": True,
            "has_pages": False,
            "has_projects": True,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "is_template": False,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_rebase_merge": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
            "allow_update_branch": False,
            "use_squash_pr_title_as_default": False,
            "organization": None,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
            "pushed_at": record.commits[0].date if record.commits else record.created_at,
            "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
        }
    )
    return data


def label(call: Call, record: Repo, item: Label) -> dict[str, Any]:
    return {
        "id": item.id,
        "node_id": item.node_id,
        "name": item.name,
        "color": item.color,
        "description": item.description or None,
        "default": False,
        "url": f"{call.api_base}/repos/{record.full_name}/labels/{quote(item.name)}",
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
        "events_url": f"{api}/issues/{item.number}/events",
        "labels_url": f"{api}/issues/{item.number}/labels{{/name}}",
        "timeline_url": f"{api}/issues/{item.number}/timeline",
        "active_lock_reason": None,
        "performed_via_github_app": None,
        "reactions": reactions(f"{api}/issues/{item.number}/reactions"),
        "html_url": f"{call.web_base}/{record.full_name}/{kind}/{item.number}",
    }
    if item.pull:
        data["pull_request"] = {
            "url": f"{api}/pulls/{item.number}",
            "merged_at": item.pull.merged_at,
            "html_url": f"{call.web_base}/{record.full_name}/pull/{item.number}",
            "diff_url": f"{call.web_base}/{record.full_name}/pull/{item.number}.diff",
            "patch_url": f"{call.web_base}/{record.full_name}/pull/{item.number}.patch",
        }
    return data


def reactions(url: str) -> dict[str, Any]:
    """A reaction-rollup (fakehub records no reactions)."""
    counts = dict.fromkeys(("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"), 0)
    return {"url": url, "total_count": 0, **counts}


def pull(call: Call, record: Repo, item: Issue) -> dict[str, Any]:
    assert item.pull is not None
    data = issue(call, record, item)
    data.pop("pull_request")
    info = item.pull
    api = f"{call.api_base}/repos/{record.full_name}"
    html = f"{call.web_base}/{record.full_name}/pull/{item.number}"
    links = {
        "self": f"{api}/pulls/{item.number}",
        "html": html,
        "issue": f"{api}/issues/{item.number}",
        "comments": f"{api}/issues/{item.number}/comments",
        "review_comments": f"{api}/pulls/{item.number}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{api}/pulls/{item.number}/commits",
        "statuses": f"{api}/statuses/{info.head_sha}",
    }
    data.update(
        {
            "url": links["self"],
            "issue_url": links["issue"],
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "statuses_url": links["statuses"],
            "_links": {name: {"href": href} for name, href in links.items()},
            "merge_commit_sha": None,
            "merged_by": login(call, record.owner) if info.merged_at else None,
            "mergeable_state": "clean",
            "rebaseable": True,
            "auto_merge": None,
            "active_lock_reason": None,
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


def pull_simple(call: Call, record: Repo, item: Issue) -> dict[str, Any]:
    """A pull-request-simple (the list shape): no merge state, counts or review details."""
    data = pull(call, record, item)
    for key in (
        "merged",
        "mergeable",
        "mergeable_state",
        "rebaseable",
        "merged_by",
        "additions",
        "deletions",
        "changed_files",
        "commits",
        "comments",
        "review_comments",
        "maintainer_can_modify",
    ):
        data.pop(key, None)
    return data


def comment(call: Call, record: Repo, item: Comment) -> dict[str, Any]:
    api = f"{call.api_base}/repos/{record.full_name}"
    return {
        "id": item.id,
        "node_id": item.node_id,
        "body": item.body,
        "user": login(call, item.author),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "author_association": "OWNER" if item.author == record.owner else "CONTRIBUTOR",
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
        "comments_url": f"{api}/commits/{item.sha}/comments",
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
        "check_suite_url": f"{call.api_base}/repos/{record.full_name}/check-suites/{item.id}",
        "cancel_url": f"{api}/cancel",
        "rerun_url": f"{api}/rerun",
        "artifacts_url": f"{api}/artifacts",
        "head_commit": {
            "id": item.head_sha,
            "tree_id": item.head_sha[::-1],
            "message": head.message if head else item.display_title,
            "timestamp": head.date if head else item.created_at,
            "author": {"name": head.author_name, "email": head.author_email} if head else None,
            "committer": {"name": head.author_name, "email": head.author_email} if head else None,
        },
        "repository": minimal_repo(call, record),
        "head_repository": minimal_repo(call, record),
        "pull_requests": [],
    }


def job(call: Call, record: Repo, item: Job, parent: WorkflowRun) -> dict[str, Any]:
    return {
        "id": item.id,
        "node_id": f"CR_{item.id}",
        "created_at": item.started_at,
        "runner_id": 1,
        "runner_name": "GitHub Actions 1",
        "runner_group_id": 0,
        "runner_group_name": "GitHub Actions",
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
        "badge_url": f"{call.web_base}/{record.full_name}/workflows/{quote(first.name)}/badge.svg",
    }


def check_run(call: Call, record: Repo, item: Job, parent: WorkflowRun) -> dict[str, Any]:
    """A job as the check run GitHub Actions reports on the run's head commit (`gh pr checks`, annotations)."""
    api = f"{call.api_base}/repos/{record.full_name}/check-runs/{item.id}"
    return {
        "id": item.id,
        "node_id": f"CR_{item.id}",
        "head_sha": parent.head_sha,
        "external_id": str(item.id),
        "name": item.name,
        "status": item.status,
        "conclusion": item.conclusion,
        "started_at": item.started_at,
        "completed_at": item.completed_at,
        "url": api,
        "html_url": f"{call.web_base}/{record.full_name}/runs/{item.id}",
        "details_url": f"{call.web_base}/{record.full_name}/actions/runs/{parent.id}/job/{item.id}",
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{api}/annotations",
        },
        "check_suite": {"id": parent.id},
        "app": None,
        "pull_requests": [],
    }
