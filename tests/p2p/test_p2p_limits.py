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
    """Strangers dial and redial; every one is closed again and again while the members stay. Once
    they stop redialling and keep what they have, at most the cap's share of them is still connected.
    (A connection past the cap is closed as soon as the daemon sees it, after its handshake, so a
    sample may catch one for a moment while the flood runs; none stays.)"""
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
        script = Path(__file__).parent / "strangers.py"
        flood = subprocess.Popen([sys.executable, str(script), capped.address, str(STRANGERS), str(report)])

        def strangers() -> dict:
            return json.loads(report.read_text()) if report.exists() else {}

        def members_stay() -> None:
            assert len(capped.status()["members"]) == 2, "a stranger took a member's place"

        def flooded() -> bool:
            members_stay()
            closed = strangers().get("closed", [])
            return len(closed) == STRANGERS and all(count >= 2 for count in closed)

        wait_for(flooded, 120, "every stranger to be closed twice", interval=0.05)
        report.with_suffix(".hold").touch()  # stop redialling, keep what you have
        wait_for(lambda: strangers().get("held") == STRANGERS, 60, "the strangers to hold")
        wait_for(lambda: capped.status()["inbound"] <= CAP, 10, "the cap to close what came in last")
        for _ in range(20):  # and it stays so: nothing past the cap is kept
            assert capped.status()["inbound"] <= CAP
            members_stay()
        assert strangers()["connected"] <= CAP - len(members)  # as the strangers see it, too
        first = members[0].gh("api", "repos/octo/hello/labels")  # the capped daemon still answers members
        assert first.returncode == 0
        assert members[1].gh("api", "repos/octo/hello/labels").stdout == first.stdout
        assert upstream_runs(members) == 1
    finally:
        if flood is not None:
            flood.kill()
            flood.wait(10)
        stop_all(nodes)


# -- which connections the cap closes (unit edge cases on stand-in connections) ----------------------
class _Peer:
    def __init__(self, name: str) -> None:
        self.name = name

    def to_string(self) -> str:
        return self.name


class _Conn:
    def __init__(self, peer: str, direction: object) -> None:
        self.muxed_conn = type("Muxed", (), {"peer_id": _Peer(peer)})()
        self.direction = direction


def _cap(cap: int, conns: dict[str, float], members: dict[str, float], outbound: tuple[str, ...] = ()):
    """An InboundCap over stand-in connections: `conns` peer -> when it opened, `members` peer -> last use."""
    from libp2p.rcmgr import Direction

    from ghcache.daemon.inbound import InboundCap

    swarm = type("Swarm", (), {})()
    made = {peer: _Conn(peer, Direction.INBOUND) for peer in conns}
    swarm.connections = {peer: [conn] for peer, conn in made.items()}
    swarm.connections.update({peer: [_Conn(peer, Direction.OUTBOUND)] for peer in outbound})
    limiter = InboundCap(swarm, cap, lambda peer: peer in members, lambda peer: members.get(peer, 0.0))
    limiter.opened = {id(conn): conns[peer] for peer, conn in made.items()}
    return limiter


def _closed(limiter, now: float) -> list[str]:
    return [conn.muxed_conn.peer_id.to_string() for conn in limiter.excess(now)]


def test_a_flood_of_new_strangers_closes_the_newest_strangers_and_no_member() -> None:
    conns = {"m1": 1.0, "m2": 2.0, **{f"s{index}": 100.0 + index for index in range(5)}}
    limiter = _cap(3, conns, {"m1": 50.0, "m2": 60.0})
    assert sorted(_closed(limiter, 101.0)) == ["s1", "s2", "s3", "s4"]  # s0, the oldest, may still hello


def test_strangers_that_did_not_hello_in_time_go_before_new_ones() -> None:
    limiter = _cap(2, {"m1": 1.0, "stale": 5.0, "new": 99.0}, {"m1": 90.0})
    assert _closed(limiter, 100.0) == ["stale"]


def test_members_alone_over_the_cap_lose_the_least_recently_useful() -> None:
    limiter = _cap(2, {"a": 1.0, "b": 2.0, "c": 3.0}, {"a": 30.0, "b": 10.0, "c": 20.0})
    assert _closed(limiter, 100.0) == ["b"]


def test_outbound_connections_are_not_counted_nor_closed() -> None:
    limiter = _cap(2, {"a": 1.0, "b": 2.0}, {}, outbound=("x", "y", "z"))
    assert _closed(limiter, 100.0) == [] and len(limiter.inbound()) == 2


def test_relay_and_cap_settings() -> None:
    from ghcache.daemon.relay import parse_relays
    from ghcache.daemon.settings import DEFAULT_MAX_INBOUND, DaemonSettings

    plain = DaemonSettings.from_env({})
    assert (plain.max_inbound, plain.relays, plain.relay_service) == (DEFAULT_MAX_INBOUND, (), False)
    relay = "/ip4/127.0.0.1/tcp/4701/p2p/12D3KooWDMeXSv97vr5iVRf2xd2GZAdaZLEKKRAMoLMZqaCEN1wf"
    tuned = DaemonSettings.from_env(
        {"GH_CACHE_P2P_MAX_INBOUND": "0", "GH_CACHE_P2P_RELAY": relay, "GH_CACHE_P2P_RELAY_SERVICE": "1"}
    )
    assert (tuned.max_inbound, tuned.relays, tuned.relay_service) == (1, (relay,), True)
    assert parse_relays([relay])[0].peer_id.to_string() == relay.rsplit("/", 1)[1]
    for bad in ("/ip4/127.0.0.1/tcp/4701", f"{relay}/p2p-circuit/p2p/{relay.rsplit('/', 1)[1]}"):
        with pytest.raises(ValueError, match="GH_CACHE_P2P_RELAY"):
            parse_relays([bad])


def test_a_relay_forgets_the_reservations_of_runners_that_left() -> None:
    """py-libp2p counts a gone runner's reservation until its TTL; ours ends with its connection."""
    from libp2p import new_host
    from libp2p.crypto.ed25519 import create_new_key_pair

    from ghcache.daemon.relay import Relaying

    relaying = Relaying(new_host(key_pair=create_new_key_pair()), [], True, 2, lambda peer: True)
    manager = relaying.protocol.resource_manager
    runners = [new_host(key_pair=create_new_key_pair()).get_id() for _ in range(3)]
    for runner in runners[:2]:
        manager.reserve(runner)
    assert not manager.can_accept_reservation(runners[2])  # full, though neither is connected
    relaying.drop_gone({runners[0].to_string()})
    assert manager.can_accept_reservation(runners[2])
    assert manager._reservations.keys() == {runners[0]}
