"""Runners that accept no inbound connection (GitHub-hosted runners) share through a circuit relay.

Each runner's daemon runs in a network namespace of its own whose every inbound TCP connection is
refused; a reachable daemon with the relay service runs on the LAN namespace they dial out to. The
runners reserve slots there and reach each other through `/p2p-circuit` addresses (Noise end to end),
so a read fetched on one runner is a hit on the other and a write on one is seen on the other.
The shims (and the real gh, and fakehub) stay in our namespace: a shim talks to its daemon over the
Unix socket in the cache dir, which no network namespace separates.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from p2prig import Lab, Node, stop_all, upstream_runs, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("zipapps")]  # the shim runs from bin/ghcache.pyz
REPO = ("-R", "octo/hello")
PROBE_PORT = 4799
RELAY_PORT = 4701  # in our own LAN namespace: free
LISTENER = f"""
import socket
server = socket.socket()
server.bind(("0.0.0.0", {PROBE_PORT}))
server.listen()
print("listening", flush=True)
server.settimeout(30)
try:
    server.accept()
    print("accepted", flush=True)
except OSError:
    pass
"""
DIALLER = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
except ConnectionRefusedError:
    sys.exit(3)
sys.exit(0)
"""


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="tls") as running:
        yield running


def assert_refuses_inbound(lab: Lab, index: int) -> None:
    """A port that listens inside the runner's namespace is still refused to a dialler on the LAN."""
    listener = subprocess.Popen(
        ["ip", "netns", "exec", lab.runners[index], sys.executable, "-c", LISTENER],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert listener.stdout is not None and listener.stdout.readline().strip() == "listening"
        dial = subprocess.run(
            ["ip", "netns", "exec", lab.lan, sys.executable, "-c", DIALLER, lab.runner_ips[index], str(PROBE_PORT)],
            timeout=30,
        )
        assert dial.returncode == 3, "a runner accepted an inbound connection"
    finally:
        listener.kill()
        listener.wait(10)


def test_runners_nothing_can_dial_share_reads_and_writes_through_a_relay(hub: FakeHub, tmp_path: Path) -> None:
    read = ("api", "repos/octo/hello/labels")
    issues = ("issue", "list", *REPO)
    expected = Node("oracle", hub, tmp_path, GH_CACHE="0").gh(*read).stdout
    with Lab(runners=2) as lab:
        for index in range(2):
            assert_refuses_inbound(lab, index)
        relay = Node(
            "relay",
            hub,
            tmp_path,
            netns=lab.lan,
            GH_CACHE_P2P_LISTEN=f"/ip4/{lab.LAN_IP}/tcp/{RELAY_PORT}",  # the same address after a restart
            GH_CACHE_P2P_RELAY_SERVICE="1",
        ).start()
        nodes = [relay]
        try:
            a, b = runners = [
                Node(
                    f"n{index}",
                    hub,
                    tmp_path,
                    netns=lab.runners[index],
                    GH_CACHE_P2P_LISTEN="none",
                    GH_CACHE_P2P_RELAY=relay.address,
                )
                for index in range(2)
            ]
            nodes += runners
            for runner in runners:
                runner.start()
            ids = {node.name: node.status()["peer_id"] for node in nodes}
            wait_for_relayed_mesh(relay, runners, ids)

            first = a.gh(*read)
            assert first.returncode == 0 and first.stdout == expected
            assert b.gh(*read).stdout == expected
            assert upstream_runs([a]) == 1 and upstream_runs([b]) == 0  # B had A's entry: no upstream run

            before = b.gh(*issues).stdout
            title = f"Written on A at {time.time()}"
            written = a.gh("issue", "create", *REPO, "-t", title, "-b", "body")
            assert written.returncode == 0, written.stderr
            marked = {path.name for path in (a.cache_dir / "invalidations").iterdir()}
            wait_for(lambda: marked <= tombstones(b), 10, "B to hear of A's write", interval=0.01)
            after = b.gh(*issues)
            assert title.encode() in after.stdout and title.encode() not in before
            for index in range(2):  # still nothing can dial them: all of it went over their own dials
                assert_refuses_inbound(lab, index)

            relay.stop()  # the relay gone and back: the runners reserve again and find each other again
            relay.start()
            wait_for_relayed_mesh(relay, runners, ids)
            releases = ("api", "repos/octo/hello/releases")
            runs = upstream_runs([b])
            assert a.gh(*releases).returncode == 0
            assert b.gh(*releases).stdout == a.gh(*releases).stdout
            assert upstream_runs([b]) == runs
        finally:
            stop_all(nodes)


def wait_for_relayed_mesh(relay: Node, runners: list[Node], ids: dict[str, str]) -> None:
    """Each runner a member of the relay and of the other runners (their hellos went both ways over
    a relayed connection), reachable only at circuit addresses through the relay."""
    for runner in runners:
        wanted = {ids[node.name] for node in [relay, *runners] if node is not runner}
        wait_for(
            lambda runner=runner, wanted=wanted: set(runner.status().get("members", [])) == wanted,
            60,
            f"{runner.name} to admit the relay and the other runners",
        )
        addresses = runner.status()["addresses"]
        assert addresses and all(f"/p2p/{ids['relay']}/p2p-circuit/p2p/" in addr for addr in addresses)


def tombstones(node: Node) -> set[str]:
    marks = node.cache_dir / "invalidations"
    return {path.name for path in marks.iterdir()} if marks.exists() else set()


def test_a_relay_serves_members_only(hub: FakeHub, tmp_path: Path) -> None:
    """A runner of the namespace gets a slot; a peer without the secret gets neither a slot nor a
    circuit to that runner (on loopback: the trust model, not the network, is under test here)."""
    relay = Node("relay", hub, tmp_path, GH_CACHE_P2P_RELAY_SERVICE="1").start()
    runner = Node("runner", hub, tmp_path, GH_CACHE_P2P_LISTEN="none", GH_CACHE_P2P_RELAY=relay.address)
    try:
        runner.start()
        wait_for(lambda: runner.status().get("addresses"), 60, "the runner to hold a slot at the relay")
        stranger = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).parent / "relay_stranger.py"),
                relay.address,
                runner.status()["peer_id"],
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert stranger.stdout.split() == ["refused", "refused"], stranger.stderr[-2000:]
        assert runner.status()["members"] == [relay.status()["peer_id"]]  # and it reached no one
    finally:
        stop_all([relay, runner])
