"""REST routes: a tiny regex router over the store, answering GitHub-shaped JSON."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

from . import openapi, render
from .calls import ApiError, Call, Reply, invalid, not_found
from .models import Issue, Repo, now
from .repo_search import search_repos
from .store import NotFound, Store

Handler = Callable[..., Reply]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []
REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
BY_ID = re.compile(r"^/repositories/(?P<id>\d+)(?P<rest>/.*)?$")
#: A label colour as GitHub takes it: six hex digits, without the `#`.
COLOR = re.compile(r"^[0-9a-fA-F]{6}$")


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler; named groups of the pattern become its keyword arguments."""

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, re.compile(pattern.replace("{REPO}", REPO) + r"/?$"), handler))
        return handler

    return register


def dispatch(call: Call) -> Reply | None:
    """Answer a REST call, or None when no route matches (the server logs those to find gaps)."""
    method = "GET" if call.method == "HEAD" else call.method
    by_id = BY_ID.match(call.path)
    if by_id:  # GitHub's rename-proof form of repository routes, which its Link headers use
        found_repo = next((r for r in call.store.repos.values() if r.id == int(by_id["id"])), None)
        if found_repo is None:
            raise not_found()
        call.path = f"/repos/{found_repo.full_name}{by_id['rest'] or ''}"
    for verb, pattern, handler in ROUTES:
        found = pattern.match(call.path)
        if verb == method and found:
            if method in ("POST", "PATCH", "PUT") and call.body.strip():
                openapi.check_body(method, call.path, call.json())
            try:
                return handler(call, **found.groupdict())
            except NotFound as exc:
                raise not_found() from exc
    return None


# -- helpers -----------------------------------------------------------------
def paginate(call: Call, items: list[Any], render_item: Callable[[Any], Any]) -> Reply:
    """One page of `items` with GitHub's `Link` header (per_page defaults to 30, max 100)."""
    per_page = call.int_arg("per_page", 30)
    page = call.int_arg("page", 1, high=10**6)
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []
    if page < last:
        links += [f'<{call.page_url(page + 1)}>; rel="next"', f'<{call.page_url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{call.page_url(page - 1)}>; rel="prev"', f'<{call.page_url(1)}>; rel="first"']
    headers = {"Link": ", ".join(links)} if links else {}
    return Reply(200, [render_item(item) for item in chunk], headers)


def visible_repo(call: Call, owner: str, name: str) -> Repo:
    return call.store.get_repo(f"{owner}/{name}", call.viewer, check=True)


def writable_repo(call: Call, owner: str, name: str) -> Repo:
    """Writes need a known user; anonymous ones get GitHub's 401."""
    if call.viewer is None:
        raise ApiError(401, "Requires authentication")
    return visible_repo(call, owner, name)


def find_issue(repo: Repo, number: str) -> Issue:
    item = repo.issues.get(int(number))
    if item is None:
        raise not_found()
    return item


def find_pull(repo: Repo, number: str) -> Issue:
    item = find_issue(repo, number)
    if item.pull is None:
        raise not_found()
    return item


def by_sort(call: Call, items: list[Issue], direction: str | None = None) -> list[Issue]:
    """The `sort` (created, updated, comments) and `direction` query parameters of issue lists."""
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda i: i.created_at,
        "updated": lambda i: i.updated_at,
        "comments": lambda i: len(i.comments),
    }
    key = keys.get(call.query.get("sort", "created"), keys["created"])
    descending = (direction or call.query.get("direction", "desc")) == "desc"
    return sorted(items, key=lambda i: (key(i), i.number), reverse=descending)


def state_filter(call: Call, items: list[Issue]) -> list[Issue]:
    state = call.query.get("state", "open")
    return items if state == "all" else [i for i in items if i.state == state]


# -- users and meta ------------------------------------------------------------
@route("GET", r"")
def api_root(call: Call) -> Reply:
    """gh auth status probes the root for the token's scopes (sent as X-OAuth-Scopes on every reply)."""
    return Reply(200, {key: call.api_base + path for key, path in ROOT_URLS.items()})


#: The API root's hypermedia index, as api.github.com lists it.
ROOT_URLS = {
    "current_user_url": "/user",
    "current_user_authorizations_html_url": "/settings/connections/applications{/client_id}",
    "authorizations_url": "/authorizations",
    "code_search_url": "/search/code?q={query}{&page,per_page,sort,order}",
    "commit_search_url": "/search/commits?q={query}{&page,per_page,sort,order}",
    "emails_url": "/user/emails",
    "emojis_url": "/emojis",
    "events_url": "/events",
    "feeds_url": "/feeds",
    "followers_url": "/user/followers",
    "following_url": "/user/following{/target}",
    "gists_url": "/gists{/gist_id}",
    "hub_url": "/hub",
    "issue_search_url": "/search/issues?q={query}{&page,per_page,sort,order}",
    "issues_url": "/issues",
    "keys_url": "/user/keys",
    "label_search_url": "/search/labels?q={query}&repository_id={repository_id}{&page,per_page}",
    "notifications_url": "/notifications",
    "organization_url": "/orgs/{org}",
    "organization_repositories_url": "/orgs/{org}/repos{?type,page,per_page,sort}",
    "organization_teams_url": "/orgs/{org}/teams",
    "public_gists_url": "/gists/public",
    "rate_limit_url": "/rate_limit",
    "repository_url": "/repos/{owner}/{repo}",
    "repository_search_url": "/search/repositories?q={query}{&page,per_page,sort,order}",
    "current_user_repositories_url": "/user/repos{?type,page,per_page,sort}",
    "starred_url": "/user/starred{/owner}{/repo}",
    "starred_gists_url": "/gists/starred",
    "topic_search_url": "/search/topics?q={query}{&page,per_page}",
    "user_url": "/users/{user}",
    "user_organizations_url": "/user/orgs",
    "user_repositories_url": "/users/{user}/repos{?type,page,per_page,sort}",
    "user_search_url": "/search/users?q={query}{&page,per_page,sort,order}",
}


@route("GET", r"/user")
def get_viewer(call: Call) -> Reply:
    if call.viewer is None:
        raise ApiError(401, "Requires authentication")
    return Reply(200, render.profile(call, call.store.user(call.viewer), private=True))


@route("GET", r"/users/(?P<login>[^/]+)")
def get_user(call: Call, login: str) -> Reply:
    account = call.store.users.get(login.lower())
    if account is None:
        raise not_found()
    return Reply(200, render.profile(call, account, private=False))


@route("GET", r"/rate_limit")
def rate_limit(call: Call) -> Reply:
    """The same counts the x-ratelimit-* headers carry (this request itself is free, as on GitHub)."""
    resources = call.quota.snapshot(call.viewer)
    return Reply(200, {"resources": resources, "rate": resources["core"]})


@route("GET", r"/meta")
def meta(call: Call) -> Reply:
    return Reply(200, {"verifiable_password_authentication": False, "installed_version": "3.14.0"})


@route("GET", r"/search/issues")
def search_issues(call: Call) -> Reply:
    hits = call.store.search_issues(call.query.get("q", ""), call.viewer)
    if call.query.get("sort") in ("created", "updated", "comments"):
        hits = by_sort(call, hits, direction=call.query.get("order", "desc"))
    page = paginate(call, hits, lambda i: dict(render.issue(call, call.store.get_repo(i.repo), i), score=1.0))
    page.body = {"total_count": len(hits), "incomplete_results": False, "items": page.body, "search_type": "lexical"}
    return page


# -- repositories --------------------------------------------------------------
@route("GET", r"{REPO}")
def get_repo(call: Call, owner: str, name: str) -> Reply:
    # Only the full repository carries a clone token (null unless the viewer may clone a private repo).
    return Reply(200, dict(render.repo(call, visible_repo(call, owner, name)), temp_clone_token=None))


@route("GET", r"{REPO}/readme")
def get_readme(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    if repo.readme is None:
        raise not_found()
    content = base64.b64encode(repo.readme.encode()).decode()
    sha = hashlib.sha1(b"blob %d\0" % len(repo.readme.encode()) + repo.readme.encode()).hexdigest()
    links = {
        "self": f"{call.api_base}/repos/{repo.full_name}/contents/README.md?ref={repo.default_branch}",
        "git": f"{call.api_base}/repos/{repo.full_name}/git/blobs/{sha}",
        "html": f"{call.web_base}/{repo.full_name}/blob/{repo.default_branch}/README.md",
    }
    return Reply(
        200,
        {
            "name": "README.md",
            "path": "README.md",
            "sha": sha,
            "type": "file",
            "encoding": "base64",
            "content": content,
            "size": len(repo.readme.encode()),
            "url": links["self"],
            "git_url": links["git"],
            "html_url": links["html"],
            "download_url": f"{call.web_base}/{repo.full_name}/raw/{repo.default_branch}/README.md",
            "_links": links,
        },
    )


@route("GET", r"/search/repositories")
def search_repositories(call: Call) -> Reply:
    hits = search_repos(call.store, call.query.get("q", ""), call.viewer)
    if call.query.get("sort") in ("stars", "forks", "updated"):
        attr = {"stars": "stars", "forks": "forks", "updated": "updated_at"}[call.query["sort"]]
        hits = sorted(hits, key=lambda r: (getattr(r, attr), r.id), reverse=call.query.get("order", "desc") == "desc")
    page = paginate(call, hits, lambda r: search_hit(call, r))
    page.body = {"total_count": len(hits), "incomplete_results": False, "items": page.body}
    return page


def search_hit(call: Call, repo: Repo) -> dict[str, Any]:
    """A repo-search-result-item: the repository with a score."""
    return dict(render.repo(call, repo), score=1.0)


# -- issues --------------------------------------------------------------------
@route("GET", r"{REPO}/issues")
def list_issues(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    items = state_filter(call, list(repo.issues.values()))
    wanted = {n.strip().lower() for n in call.query.get("labels", "").split(",") if n.strip()}
    items = [i for i in items if wanted <= {n.lower() for n in i.labels}]
    if "creator" in call.query:
        items = [i for i in items if i.author.lower() == call.query["creator"].lower()]
    if "assignee" in call.query and call.query["assignee"] not in ("*", "none"):
        items = [i for i in items if call.query["assignee"].lower() in (a.lower() for a in i.assignees)]
    return paginate(call, by_sort(call, items), lambda i: render.issue(call, repo, i))


TEXT_LIMITS = {"title": 256, "body": 65_536}  # GitHub's, in characters, for issues, pulls and comments


def check_text_limits(resource: str, data: dict[str, Any]) -> None:
    """Past GitHub's limits, its answer: 422 with a custom validation error naming the field."""
    for field_name, limit in TEXT_LIMITS.items():
        value = data.get(field_name)
        if isinstance(value, str) and len(value) > limit:
            message = f"{field_name} is too long (maximum is {limit} characters)"
            error = {"resource": resource, "code": "custom", "field": field_name, "message": message}
            raise ApiError(422, "Validation Failed", errors=[error])


@route("POST", r"{REPO}/issues")
def create_issue(call: Call, owner: str, name: str) -> Reply:
    repo = writable_repo(call, owner, name)
    data = call.json()
    if not data.get("title"):
        raise invalid("Issue", "title")
    check_text_limits("Issue", data)
    item = call.store.add_issue(
        repo.full_name,
        str(data["title"]),  # the schema also takes a number; GitHub stores the text
        data.get("body") or "",
        author=call.viewer or "ghost",
        labels=data.get("labels") or [],
        assignees=data.get("assignees") or [],
    )
    return Reply(201, render.issue(call, repo, item))


@route("GET", r"{REPO}/issues/(?P<number>\d+)")
def get_issue(call: Call, owner: str, name: str, number: str) -> Reply:
    repo = visible_repo(call, owner, name)
    return Reply(200, render.issue(call, repo, find_issue(repo, number)))


@route("PATCH", r"{REPO}/issues/(?P<number>\d+)")
def update_issue(call: Call, owner: str, name: str, number: str) -> Reply:
    repo = writable_repo(call, owner, name)
    item = find_issue(repo, number)
    apply_issue_edit(call, repo, item, call.json())
    return Reply(200, render.issue(call, repo, item))


def apply_issue_edit(call: Call, repo: Repo, item: Issue, data: dict[str, Any]) -> None:
    """The PATCH semantics shared by issues and pulls: only the given fields change."""
    check_text_limits("PullRequest" if item.pull else "Issue", data)
    for key in ("title", "body"):
        if key in data:
            setattr(item, key, "" if data[key] is None else str(data[key]))
    if "labels" in data:
        item.labels = [
            call.store.ensure_label(repo.full_name, n if isinstance(n, str) else n["name"]).name for n in data["labels"]
        ]
    if "assignees" in data:
        item.assignees = list(data["assignees"])
    if data.get("state") in ("open", "closed") and data["state"] != item.state:
        call.store.set_issue_state(item, data["state"], data.get("state_reason"))
    item.updated_at = now()


@route("POST", r"{REPO}/issues/(?P<number>\d+)/assignees")
def add_assignees(call: Call, owner: str, name: str, number: str) -> Reply:
    repo = writable_repo(call, owner, name)
    data = call.json()
    find_issue(repo, number)
    item = call.store.assign(repo.full_name, int(number), data.get("assignees") or [], data.get("agent_assignment"))
    return Reply(201, render.issue(call, repo, item))


@route("POST", r"{REPO}/issues/(?P<number>\d+)/labels")
def add_issue_labels(call: Call, owner: str, name: str, number: str) -> Reply:
    repo = writable_repo(call, owner, name)
    item = find_issue(repo, number)
    data = call.json()
    for label_name in data.get("labels", []) if isinstance(data, dict) else data:
        found = call.store.ensure_label(repo.full_name, label_name).name
        if found not in item.labels:
            item.labels.append(found)
    return Reply(200, [render.label(call, repo, repo.labels[n.lower()]) for n in item.labels])


@route("GET", r"{REPO}/issues/(?P<number>\d+)/comments")
def list_comments(call: Call, owner: str, name: str, number: str) -> Reply:
    repo = visible_repo(call, owner, name)
    return paginate(call, find_issue(repo, number).comments, lambda c: render.comment(call, repo, c))


@route("POST", r"{REPO}/issues/(?P<number>\d+)/comments")
def create_comment(call: Call, owner: str, name: str, number: str) -> Reply:
    repo = writable_repo(call, owner, name)
    find_issue(repo, number)
    body = call.json().get("body")
    if not body:
        raise invalid("IssueComment", "body")
    check_text_limits("IssueComment", {"body": body})
    item = call.store.add_comment(repo.full_name, int(number), body, author=call.viewer or "ghost")
    return Reply(201, render.comment(call, repo, item))


@route("GET", r"{REPO}/issues/comments/(?P<comment_id>\d+)")
def get_comment(call: Call, owner: str, name: str, comment_id: str) -> Reply:
    repo = visible_repo(call, owner, name)
    return Reply(200, render.comment(call, repo, call.store.find_comment(repo.full_name, int(comment_id))))


@route("PATCH", r"{REPO}/issues/comments/(?P<comment_id>\d+)")
def update_comment(call: Call, owner: str, name: str, comment_id: str) -> Reply:
    repo = writable_repo(call, owner, name)
    item = call.store.find_comment(repo.full_name, int(comment_id))
    body = call.json().get("body")
    if not body:
        raise invalid("IssueComment", "body")
    check_text_limits("IssueComment", {"body": body})
    item.body, item.updated_at = body, now()
    return Reply(200, render.comment(call, repo, item))


# -- labels --------------------------------------------------------------------
@route("GET", r"{REPO}/labels")
def list_labels(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    return paginate(call, list(repo.labels.values()), lambda item: render.label(call, repo, item))


@route("GET", r"{REPO}/labels/(?P<label>[^/]+)")
def get_label(call: Call, owner: str, name: str, label: str) -> Reply:
    repo = visible_repo(call, owner, name)
    item = repo.labels.get(label.lower())
    if item is None:
        raise not_found()
    return Reply(200, render.label(call, repo, item))


@route("POST", r"{REPO}/labels")
def create_label(call: Call, owner: str, name: str) -> Reply:
    repo = writable_repo(call, owner, name)
    data = call.json()
    if not data.get("name"):
        raise invalid("Label", "name")
    color = data.get("color") or "ededed"
    if not isinstance(color, str) or not COLOR.match(color.removeprefix("#")):
        raise invalid("Label", "color", "invalid")
    if len(data.get("description") or "") > 100:
        raise invalid("Label", "description", "invalid")
    try:
        item = call.store.add_label(
            repo.full_name, data["name"], color.removeprefix("#"), data.get("description") or ""
        )
    except ValueError as exc:
        raise invalid("Label", "name", "already_exists") from exc
    return Reply(201, render.label(call, repo, item))


# -- pull requests ---------------------------------------------------------------
@route("GET", r"{REPO}/pulls")
def list_pulls(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    items = state_filter(call, [i for i in repo.issues.values() if i.pull])
    if "head" in call.query:
        items = [i for i in items if i.pull and i.pull.head_ref == call.query["head"].split(":")[-1]]
    if "base" in call.query:
        items = [i for i in items if i.pull and i.pull.base_ref == call.query["base"]]
    return paginate(call, by_sort(call, items), lambda i: render.pull_simple(call, repo, i))


@route("POST", r"{REPO}/pulls")
def create_pull(call: Call, owner: str, name: str) -> Reply:
    repo = writable_repo(call, owner, name)
    data = call.json()
    for key in ("head", "base", "title"):
        if not data.get(key):
            raise invalid("PullRequest", key)
    head = data["head"].split(":")[-1]
    if any(i.pull and i.state == "open" and i.pull.head_ref == head for i in repo.issues.values()):
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {"resource": "PullRequest", "code": "custom", "message": f"A pull request already exists for {head}."}
            ],
        )
    item = call.store.add_pull(
        repo.full_name,
        data["title"],
        head=head,
        base=data["base"],
        body=data.get("body") or "",
        draft=bool(data.get("draft")),
        author=call.viewer or "ghost",
    )
    return Reply(201, render.pull(call, repo, item))


@route("GET", r"{REPO}/pulls/(?P<number>\d+)")
def get_pull(call: Call, owner: str, name: str, number: str) -> Reply:
    repo = visible_repo(call, owner, name)
    item = find_pull(repo, number)
    if "diff" in call.accept or "patch" in call.accept:
        media = "diff" if "diff" in call.accept else "patch"
        return Reply(
            200, fake_diff(item).encode(), {"Content-Type": f"application/vnd.github.v3.{media}; charset=utf-8"}
        )
    return Reply(200, render.pull(call, repo, item))


def fake_diff(item: Issue) -> str:
    """A one-file unified diff, for `gh pr diff` (Accept: application/vnd.github.v3.diff)."""
    slug = item.title.lower().replace(" ", "_")
    return (
        f"diff --git a/NOTES.md b/NOTES.md\nindex 0000000..1111111 100644\n--- a/NOTES.md\n+++ b/NOTES.md\n"
        f"@@ -1 +1,2 @@\n # notes\n+{slug}\n"
    )


@route("PATCH", r"{REPO}/pulls/(?P<number>\d+)")
def update_pull(call: Call, owner: str, name: str, number: str) -> Reply:
    repo = writable_repo(call, owner, name)
    item = find_pull(repo, number)
    apply_issue_edit(call, repo, item, call.json())
    return Reply(200, render.pull(call, repo, item))


# -- releases --------------------------------------------------------------------
@route("GET", r"{REPO}/releases")
def list_releases(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    return paginate(call, repo.releases, lambda item: render.release(call, repo, item))


@route("GET", r"{REPO}/releases/latest")
def latest_release(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    published = [r for r in repo.releases if not r.draft and not r.prerelease]
    if not published:
        raise not_found()
    return Reply(200, render.release(call, repo, published[0]))


@route("GET", r"{REPO}/releases/tags/(?P<tag>.+)")
def release_by_tag(call: Call, owner: str, name: str, tag: str) -> Reply:
    repo = visible_repo(call, owner, name)
    item = next((r for r in repo.releases if r.tag_name == tag), None)
    if item is None:
        raise not_found()
    return Reply(200, render.release(call, repo, item))


@route("GET", r"{REPO}/releases/(?P<release_id>\d+)")
def get_release(call: Call, owner: str, name: str, release_id: str) -> Reply:
    repo = visible_repo(call, owner, name)
    item = next((r for r in repo.releases if r.id == int(release_id)), None)
    if item is None:
        raise not_found()
    return Reply(200, render.release(call, repo, item))


# -- commits ---------------------------------------------------------------------
@route("GET", r"{REPO}/commits")
def list_commits(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    return paginate(call, repo.commits, lambda item: render.commit(call, repo, item))


@route("GET", r"{REPO}/commits/(?P<ref>[^/]+)")
def get_commit(call: Call, owner: str, name: str, ref: str) -> Reply:
    repo = visible_repo(call, owner, name)
    if ref in (repo.default_branch, "HEAD") and repo.commits:
        return Reply(200, render.commit(call, repo, repo.commits[0]))
    matches = [c for c in repo.commits if len(ref) >= 4 and c.sha.startswith(ref.lower())]
    if len(matches) != 1:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    return Reply(200, render.commit(call, repo, matches[0]))


# -- actions ---------------------------------------------------------------------
@route("GET", r"{REPO}/actions/runs")
def list_runs(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    runs = [
        r
        for r in repo.runs
        if all(
            call.query.get(key) in (None, value)
            for key, value in (
                ("branch", r.head_branch),
                ("event", r.event),
                ("status", r.status),
                ("head_sha", r.head_sha),
            )
        )
    ]
    page = paginate(call, runs, lambda item: render.run(call, repo, item))
    page.body = {"total_count": len(runs), "workflow_runs": page.body}
    return page


@route("GET", r"{REPO}/actions/runs/(?P<run_id>\d+)")
def get_run(call: Call, owner: str, name: str, run_id: str) -> Reply:
    repo = visible_repo(call, owner, name)
    return Reply(200, render.run(call, repo, call.store.find_run(repo.full_name, int(run_id))))


@route("GET", r"{REPO}/actions/runs/(?P<run_id>\d+)(?:/attempts/\d+)?/jobs")
def list_jobs(call: Call, owner: str, name: str, run_id: str) -> Reply:
    repo = visible_repo(call, owner, name)
    parent = call.store.find_run(repo.full_name, int(run_id))
    page = paginate(call, parent.jobs, lambda item: render.job(call, repo, item, parent))
    page.body = {"total_count": len(parent.jobs), "jobs": page.body}
    return page


@route("GET", r"{REPO}/actions/jobs/(?P<job_id>\d+)")
def get_job(call: Call, owner: str, name: str, job_id: str) -> Reply:
    repo = visible_repo(call, owner, name)
    item = call.store.find_job(repo.full_name, int(job_id))
    return Reply(200, render.job(call, repo, item, call.store.find_run(repo.full_name, item.run_id)))


@route("GET", r"{REPO}/actions/runs/(?P<run_id>\d+)/logs")
def run_logs(call: Call, owner: str, name: str, run_id: str) -> Reply:
    """GitHub answers 302 to a short-lived download URL off the API (fakehub's `/_fakehub/run-logs/...`)."""
    repo = visible_repo(call, owner, name)
    call.store.find_run(repo.full_name, int(run_id))
    return Reply(302, None, {"Location": f"{call.files_base}/_fakehub/run-logs/{repo.full_name}/{run_id}"})


def log_archive(store: Store, full_name: str, run_id: int) -> bytes:
    """The log archive: one text file per step under a folder per job, plus one whole-job file each."""
    parent = store.find_run(full_name, run_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, item in enumerate(parent.jobs):
            lines = {
                step["number"]: f"{item.started_at} {step['name']}: {step['conclusion'] or 'running'}\n"
                for step in item.steps
            }
            for step in item.steps:
                archive.writestr(f"{item.name}/{step['number']}_{step['name']}.txt", lines[step["number"]])
            archive.writestr(f"{index}_{item.name}.txt", "".join(lines.values()))
    return buffer.getvalue()


@route("GET", r"{REPO}/actions/runs/(?P<run_id>\d+)/artifacts")
def list_artifacts(call: Call, owner: str, name: str, run_id: str) -> Reply:
    visible_repo(call, owner, name)
    return Reply(200, {"total_count": 0, "artifacts": []})


@route("GET", r"{REPO}/commits/(?P<ref>[^/]+)/check-runs")
def list_check_runs(call: Call, owner: str, name: str, ref: str) -> Reply:
    """The check runs on a commit: the jobs of the workflow runs whose head it is (newest run first)."""
    repo = visible_repo(call, owner, name)
    sha = repo.commits[0].sha if ref in (repo.default_branch, "HEAD") and repo.commits else ref.lower()
    pairs = [(job, run) for run in repo.runs if run.head_sha == sha for job in run.jobs]
    if call.query.get("check_name"):
        pairs = [(job, run) for job, run in pairs if job.name == call.query["check_name"]]
    if call.query.get("status"):
        pairs = [(job, run) for job, run in pairs if job.status == call.query["status"]]
    page = paginate(call, pairs, lambda pair: render.check_run(call, repo, *pair))
    page.body = {"total_count": len(pairs), "check_runs": page.body}
    return page


@route("GET", r"{REPO}/check-runs/(?P<job_id>\d+)")
def get_check_run(call: Call, owner: str, name: str, job_id: str) -> Reply:
    repo = visible_repo(call, owner, name)
    item = call.store.find_job(repo.full_name, int(job_id))
    return Reply(200, render.check_run(call, repo, item, call.store.find_run(repo.full_name, item.run_id)))


@route("GET", r"{REPO}/check-runs/(?P<job_id>\d+)/annotations")
def list_annotations(call: Call, owner: str, name: str, job_id: str) -> Reply:
    visible_repo(call, owner, name)
    return Reply(200, [])


@route("GET", r"{REPO}/actions/workflows")
def list_workflows(call: Call, owner: str, name: str) -> Reply:
    repo = visible_repo(call, owner, name)
    firsts = {r.workflow_id: r for r in reversed(repo.runs)}
    items = [render.workflow(call, repo, r) for r in firsts.values()]
    return Reply(200, {"total_count": len(items), "workflows": items})


@route("GET", r"{REPO}/actions/workflows/(?P<workflow_id>\d+)")
def get_workflow(call: Call, owner: str, name: str, workflow_id: str) -> Reply:
    repo = visible_repo(call, owner, name)
    first = next((r for r in reversed(repo.runs) if r.workflow_id == int(workflow_id)), None)
    if first is None:
        raise not_found()
    return Reply(200, render.workflow(call, repo, first))
