"""Sealing, key derivation, the wire format, kept streams, the shelf's cap and the daemon's deadline,
without any network peers."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path

import pytest
import trio
import trio.testing

from ghcache import config, stats
from ghcache.daemon import p2p, protocol
from ghcache.daemon.ipfs import HttpIpfs
from ghcache.daemon.server import Daemon
from ghcache.daemon.settings import DaemonSettings
from ghcache.daemon.sharing import NotConfigured, Rejected, Sharing, read_secret
from ghcache.entry import Entry

OURS = Sharing.from_secret("team", b"s3cret")


def test_sealed_entries_open_only_with_the_secret_and_under_their_key() -> None:
    sealed = OURS.seal("k" * 32, b"payload")
    assert OURS.open("k" * 32, sealed) == b"payload"
    assert b"payload" not in sealed
    with pytest.raises(Rejected):
        Sharing.from_secret("team", b"guess").open("k" * 32, sealed)
    with pytest.raises(Rejected):
        OURS.open("j" * 32, sealed)  # replayed under another key
    with pytest.raises(Rejected):
        OURS.open("k" * 32, sealed[:-1] + bytes([sealed[-1] ^ 1]))


def test_names_depend_on_namespace_and_secret() -> None:
    other_namespace = Sharing.from_secret("other", b"s3cret")
    other_secret = Sharing.from_secret("team", b"guess")
    names = {s.wire_key("abc") for s in (OURS, other_namespace, other_secret)}
    assert len(names) == 3 and OURS.wire_key("abc") == Sharing.from_secret("team", b"s3cret").wire_key("abc")
    assert OURS.topic != other_secret.topic and len(OURS.mdns_service.split(".")[0]) <= 15


def test_secret_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("from a file\n")
    os.chmod(path, 0o644)
    with pytest.raises(NotConfigured):
        read_secret({"GH_CACHE_SHARED_SECRET_FILE": str(path)})
    os.chmod(path, 0o600)
    assert read_secret({"GH_CACHE_SHARED_SECRET_FILE": str(path)}) == b"from a file"
    with pytest.raises(NotConfigured):
        read_secret({})


def test_frames_round_trip_and_reject_junk() -> None:
    message = protocol.found(b"\x00body", "peer")
    decoded = protocol.Message.decode(message.encode())
    assert (decoded.op, decoded.fields, decoded.body) == ("found", {"tier": "peer"}, b"\x00body")
    asked = protocol.Message.decode(protocol.get("k" * 64, 1700000000.25, 120.0).encode())
    assert (float(asked.fields["now"]), float(asked.fields["timeout_ms"])) == (1700000000.25, 120.0)
    with pytest.raises(protocol.BadMessage):
        protocol.Message.decode(message.encode()[:-1])
    with pytest.raises(protocol.BadMessage):
        protocol.frame_length(protocol.PREFIX.pack(protocol.MAX_HEADER + 1, 0))
    with pytest.raises(protocol.BadMessage):  # a name without a value
        protocol.Message.decode(protocol.PREFIX.pack(7, 0) + b"get\0key")
    with pytest.raises(ValueError):
        protocol.Message("get", {"key": "a\0b"}).encode()
    assert protocol.read_status(protocol.status_reply({"peers": ["x"]})) == {"peers": ["x"]}


class MemoryStream:
    """One end of an in-memory stream, with the calls `p2p` makes on a libp2p stream."""

    def __init__(self, end: trio.testing.StapledStream) -> None:
        self.end = end

    async def read(self, count: int) -> bytes:
        return await self.end.receive_some(count)

    async def write(self, data: bytes) -> None:
        await self.end.send_all(data)

    async def close(self) -> None:
        await self.end.aclose()

    reset = close


def test_requests_reuse_a_kept_stream_and_replace_one_the_peer_closed() -> None:
    async def answer(request: protocol.Message) -> protocol.Message:
        key = request.fields["key"]
        return protocol.found(key.encode()) if key != "none" else protocol.missing()

    async def scenario() -> tuple[list[str], int]:
        served: list[MemoryStream] = []
        async with trio.open_nursery() as nursery:

            async def open_stream(peer: str) -> MemoryStream:
                ours, theirs = trio.testing.memory_stream_pair()
                served.append(MemoryStream(theirs))
                nursery.start_soon(p2p.serve_stream, served[-1], answer, lambda: protocol.MAX_BODY)
                return MemoryStream(ours)

            streams = p2p.Streams(open_stream, nursery)
            replies = [await streams.request("peer", protocol.peer_get(key).encode()) for key in ("k1", "none")]
            await served[0].close()  # the peer drops the kept stream (idle, restart)
            replies.append(await streams.request("peer", protocol.peer_get("k2").encode()))
            nursery.cancel_scope.cancel()
        return [f"{reply.op} {reply.body.decode()}" for reply in replies], len(served)

    replies, opened = trio.run(scenario)
    assert replies == ["found k1", "missing ", "found k2"]
    assert opened == 2  # one stream for the first two requests, one fresh try after the peer closed it


def test_a_cancelled_request_resets_its_stream_off_the_reply_path() -> None:
    """A lookup that has its answer cancels the other requests; their streams are reset in the
    background, so the lookup returns at once even if a reset would take the full cleanup time."""

    class SlowReset(MemoryStream):
        async def reset(self) -> None:
            await trio.sleep(p2p.CLEANUP_TIMEOUT / 2)
            await self.end.aclose()

    async def scenario() -> float:
        async with trio.open_nursery() as cleanup:
            ours, _theirs = trio.testing.memory_stream_pair()  # the peer never answers

            async def open_stream(peer: str) -> MemoryStream:
                return SlowReset(ours)

            streams = p2p.Streams(open_stream, cleanup)
            started = trio.current_time()
            with trio.move_on_after(0.05):
                await streams.request("peer", protocol.peer_get("k").encode())
            return trio.current_time() - started

    assert trio.run(scenario) < p2p.CLEANUP_TIMEOUT / 4


@pytest.mark.parametrize("node", ["hung", "dead"])
def test_an_ipfs_node_that_hangs_or_is_gone_costs_at_most_the_deadline(tmp_path: Path, node: str) -> None:
    """A hinted CID on a node that accepts and never answers (or refuses): the lookup gives up in time."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    if node == "dead":
        server.close()
    now = time.time()
    daemon = Daemon(str(tmp_path), OURS, HttpIpfs(f"/ip4/127.0.0.1/tcp/{port}/http", timeout=30))
    wire_key = OURS.wire_key("some shared key")
    daemon.hints.add(protocol.Pointer(wire_key, now + 60, 100, "0" * 64, "QmNotThere"), "")
    try:
        started = time.monotonic()
        assert trio.run(daemon.lookup, "some shared key", now, 0.3).plain is None
        assert time.monotonic() - started < 0.3 + 0.2
    finally:
        server.close()


def test_the_daemon_refuses_expired_and_foreign_entries(tmp_path: Path) -> None:
    daemon = Daemon(str(tmp_path), OURS, None)
    now = time.time()
    plain = Entry(b"out", b"", 0, now - 10, now + 10).to_bytes()
    assert daemon.open_entry("k" * 32, OURS.seal("k" * 32, plain), now, "peer") == plain
    assert daemon.open_entry("k" * 32, OURS.seal("k" * 32, plain), now + 20, "peer") is None
    assert daemon.open_entry("k" * 32, Sharing.from_secret("team", b"x").seal("k" * 32, plain), now, "peer") is None
    log = (tmp_path / "stats.log").read_text()
    assert "expired peer" in log and "reject peer" in log


class PinningStore:
    """An IPFS node in memory: what is pinned, by CID."""

    def __init__(self) -> None:
        self.pinned: dict[str, bytes] = {}

    async def add(self, data: bytes) -> str:
        cid = "Qm" + hashlib.sha256(data).hexdigest()
        self.pinned[cid] = data
        return cid

    async def cat(self, cid: str, max_size: int) -> bytes:
        return self.pinned[cid]

    async def unpin(self, cid: str) -> None:
        del self.pinned[cid]


def test_the_shelf_is_capped_by_gh_cache_max_size_like_the_local_tier() -> None:
    assert DaemonSettings.from_env({"GH_CACHE_MAX_SIZE": "2M"}).max_size == 2 * 1024**2
    assert DaemonSettings.from_env({}).max_size == config.DEFAULT_MAX_SIZE


def test_the_shelf_keeps_to_its_cap_least_recently_used_first_and_unpins_what_goes(tmp_path: Path) -> None:
    now = time.time()
    ipfs = PinningStore()
    daemon = Daemon(str(tmp_path), OURS, ipfs)
    shelf = tmp_path / "shared"
    for age, name in enumerate("abc"):  # c is the oldest write...
        trio.run(daemon.share, f"key {name}", Entry(name.encode() * 1000, b"", 0, now - 1, now + 60).to_bytes())
        for path in shelf.glob(f"{OURS.wire_key(f'key {name}')}.*"):
            os.utime(path, (now - 10 * age, now - 10 * age))
    assert trio.run(daemon.lookup, "key c", now, 0.1).tier == "daemon"  # ...but the last one read
    cid_of_b = daemon.shelf.pointer(OURS.wire_key("key b")).cid
    one_entry = sum(path.stat().st_size for path in shelf.iterdir()) // 3
    daemon.max_size = 3 * one_entry + one_entry // 2
    trio.run(daemon.share, "key d", Entry(b"d" * 1000, b"", 0, now - 1, now + 60).to_bytes())
    held = {pointer.key for pointer in daemon.shelf.pointers()}
    assert held == {OURS.wire_key(f"key {name}") for name in "acd"}  # b was the least recently used
    assert len(ipfs.pinned) == 3 and cid_of_b not in ipfs.pinned
    daemon.max_size = 1  # below one entry: the one just shared stays, alone
    trio.run(daemon.share, "key e", Entry(b"e" * 1000, b"", 0, now - 1, now + 60).to_bytes())
    assert [pointer.key for pointer in daemon.shelf.pointers()] == [OURS.wire_key("key e")]
    assert len(ipfs.pinned) == 1
    assert stats.load(str(tmp_path)).counters["evict daemon"].count == 4


def test_a_lease_goes_to_the_first_claimant_and_its_entry_to_every_waiter() -> None:
    from ghcache.daemon.leases import Leases

    async def scenario() -> list[bytes | None]:
        leases = Leases(lambda peer: True)
        assert leases.claim("k", "a") == "granted"
        assert leases.claim("k", "b") == "held" and leases.claim("k", "a") == "granted"  # asking again
        got: list[bytes | None] = []

        async def waiter() -> None:
            got.append(await leases.wait("k", 10))

        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(waiter)
            await trio.testing.wait_all_tasks_blocked()
            leases.release("k", "b", b"not the holder's")  # ignored: only the holder ends a lease
            leases.release("k", "a", b"entry")
        assert leases.claim("k", "c") == "granted"  # a new lease once the last one ended
        return got

    assert trio.run(scenario) == [b"entry"] * 3


def test_a_wait_ends_when_the_holder_leaves_and_at_its_deadline() -> None:
    from ghcache.daemon.leases import HOLDER_CHECK, Leases

    async def scenario() -> tuple[float, float]:
        present = {"a": True}
        leases = Leases(lambda peer: present.get(peer, False))
        leases.claim("k", "a")
        started = trio.current_time()
        assert await leases.wait("k", 0.3) is None  # the holder is slow: the waiter gives up in time
        timed_out = trio.current_time() - started
        present["a"] = False  # the holder's daemon went away
        started = trio.current_time()
        assert await leases.wait("k", 30) is None
        return timed_out, trio.current_time() - started

    timed_out, left = trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))
    assert 0.3 <= timed_out < 0.4 and left <= HOLDER_CHECK


def test_a_hello_proves_membership_only_from_and_for_the_peers_it_names() -> None:
    from ghcache.daemon.members import HELLO, HELLO_REPLY, Hello

    hello = Hello("alice", "bob", "n1", ["/ip4/127.0.0.1/tcp/1/p2p/alice"], True, [])
    sealed = hello.seal(OURS, HELLO)
    assert Hello.open(OURS, HELLO, sealed, "alice", "bob").addrs == hello.addrs
    with pytest.raises(Rejected):  # mallory replays alice's hello to bob
        Hello.open(OURS, HELLO, sealed, "mallory", "bob")
    with pytest.raises(Rejected):  # or to carol
        Hello.open(OURS, HELLO, sealed, "alice", "carol")
    with pytest.raises(Rejected):  # a hello is not a reply
        Hello.open(OURS, HELLO_REPLY, sealed, "alice", "bob")
    with pytest.raises(Rejected):
        Hello.open(Sharing.from_secret("team", b"guess"), HELLO, sealed, "alice", "bob")


def test_every_member_picks_the_same_home_and_a_leaver_moves_only_its_keys() -> None:
    from ghcache.daemon.members import Hello, Members

    def view(me: str, others: list[str]) -> Members:
        members = Members(me, reachable=True)
        for peer in others:
            members.admit(peer, Hello(peer, me, "", [f"/ip4/127.0.0.1/tcp/1/p2p/{peer}"], True, []), time.time())
        return members

    everyone = [f"peer{index}" for index in range(8)]
    keys = [f"{index:032x}" for index in range(200)]

    def homes(peers: list[str]) -> list[dict[str, str]]:
        views = [view(me, [peer for peer in peers if peer != me]) for me in peers]
        return [{key: members.ranked(key, set(peers))[0] or members.me for key in keys} for members in views]

    before = homes(everyone)
    assert all(seen == before[0] for seen in before)  # one home per key, whoever asks
    after = homes(everyone[:-1])
    moved = {key for key in keys if after[0][key] != before[0][key]}
    assert moved == {key for key in keys if before[0][key] == everyone[-1]}
    unreachable = Members("runner", reachable=False)
    assert unreachable.ranked(keys[0], set()) == [""]  # alone it must fetch itself...
    unreachable.admit("relay", Hello("relay", "runner", "", ["/ip4/127.0.0.1/tcp/1/p2p/relay"], True, []), 0)
    assert unreachable.ranked(keys[0], {"relay"}) == ["relay"]  # ...and is never a home otherwise


def test_tombstones_are_sealed_bounded_and_applied_once(tmp_path: Path) -> None:
    from ghcache import invalidation
    from ghcache.daemon.tombstones import MAX_FUTURE, Tombstone

    now = time.time()
    sealed = Tombstone("github.com", "github.com/octo/hello", ("issues",), now).seal(OURS)
    opened = Tombstone.open(OURS, sealed)
    assert opened.apply(str(tmp_path)) and not opened.apply(str(tmp_path))  # news once, then not: the flood ends
    assert invalidation.last_write(str(tmp_path), "github.com", "github.com/octo/hello", "issues") == now
    with pytest.raises(Rejected):
        Tombstone.open(Sharing.from_secret("team", b"guess"), sealed)
    with pytest.raises(Rejected):  # far in the future: it would make everything stale for long
        Tombstone.open(OURS, Tombstone("h", "r", ("issues",), now + 2 * MAX_FUTURE).seal(OURS))
    with pytest.raises(Rejected):
        Tombstone.open(OURS, OURS.seal("tombstone", b'{"host":"h","repo":"","classes":["x"],"time":1}'))
