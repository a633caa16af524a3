"""End-to-end rig shared by the endpoint, Node, browser and MCP tests: fakehub, the env the core reads, `serve`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from fakehub import FakeHub
from support import wait_until

REPO = "octocat/shop"
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def autoheal_hub(tmp_path: Path) -> Iterator[tuple[FakeHub, dict[str, str]]]:
    """A running fakehub with an empty repo, and the environment that points the core at it."""
    with FakeHub(mode="plain") as hub:
        hub.state.add_repo(REPO, collaborators={"octocat"})
        env = {
            "GITHUB_API_URL": hub.api_url,
            "GITHUB_TOKEN": hub.default_token,
            "GH_TOKEN": "",
            "AUTOHEAL_REPO": REPO,
            "AUTOHEAL_ENABLED": "1",
            "AUTOHEAL_STATE_DIR": str(tmp_path / "state"),
            "AUTOHEAL_CONFIG": str(tmp_path / "config.json"),
        }
        yield hub, env


def issues(hub: FakeHub) -> list:
    return [i for i in hub.state.get_repo(REPO).issues.values() if i.pull is None]


def wait_for_issues(hub: FakeHub, count: int, timeout: float = 20.0) -> list:
    wait_until(lambda: len(issues(hub)) >= count, timeout)
    return issues(hub)


class Served(NamedTuple):
    url: str
    pid: int


@contextmanager
def endpoint(env: dict[str, str]) -> Iterator[Served]:
    """`serve()` in a subprocess on a free loopback port, as `autoheal serve` runs it."""
    code = "from autoheal.endpoint import serve; serve('127.0.0.1', 0)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stderr.readline()
        assert "serving client errors on" in line, line + proc.stderr.read()
        yield Served(line.rsplit(" ", 1)[-1].strip(), proc.pid)
    finally:
        proc.terminate()
        proc.wait(float(env.get("AUTOHEAL_TIMEOUT", "3")) + 30)  # it may file for up to AUTOHEAL_TIMEOUT first
        proc.stderr.close()
