"""The inbound connection cap: a daemon that more peers dial than GH_CACHE_P2P_MAX_INBOUND allows
keeps at most that many inbound connections, and keeps its members among them.

Real processes on 127.0.0.1: the capped daemon, two member runners that dial it (they listen
nowhere, so everything they get goes through it), and a process of stranger libp2p hosts that dial
it over and over without the namespace secret.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from p2prig import Node, stop_all, upstream_runs, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("zipapps")]  # the shim runs from bin/ghcache.pyz
CAP = 3
STRANGERS = 6


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="tls") as running:
        yield running


def test_a_daemon_keeps_at_most_its_cap_of_inbound_connections_and_its_members(hub: FakeHub, tmp_path: Path) -> None:
    capped = Node("capped", hub, tmp_path, GH_CACHE_P2P_MAX_INBOUND=str(CAP)).start()
    members = [
        Node(f"m{index}", hub, tmp_path, GH_CACHE_P2P_LISTEN="none", GH_CACHE_P2P_BOOTSTRAP=capped.address)
        for index in range(2)
    ]
    nodes = [capped, *members]
    report = tmp_path / "strangers.json"
    flood = None
    try:
        for member in members:
            member.start()
        wait_for(lambda: len(capped.status().get("members", [])) == 2, 60, "the capped daemon to admit its members")
        flood = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "strangers.py"), capped.address, str(STRANGERS), str(report)]
        )
        seen: list[int] = []

        def flooded() -> bool:
            status = capped.status()
            seen.append(int(status["inbound"]))
            assert len(status["members"]) == 2, "a stranger took a member's place"
            closed = json.loads(report.read_text()) if report.exists() else []
            return len(closed) == STRANGERS and all(count >= 2 for count in closed)

        wait_for(flooded, 120, "every stranger to be closed twice", interval=0.05)
        assert max(seen) <= CAP, f"inbound connections seen: {sorted(set(seen))}"
        assert CAP in seen  # the strangers did fill the slots the members left
        first = members[0].gh("api", "repos/octo/hello/labels")  # the capped daemon still answers members
        assert first.returncode == 0
        assert members[1].gh("api", "repos/octo/hello/labels").stdout == first.stdout
        assert upstream_runs(members) == 1
    finally:
        if flood is not None:
            flood.kill()
            flood.wait(10)
        stop_all(nodes)
