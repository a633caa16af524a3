"""Catch-up without network peers: the bounded tombstone store, the reply's wire format under
hostile input, the gap a restart or a lost mesh opens and the catch-up that closes it, and a
daemon that neither serves nor accepts what a tombstone it knows makes stale."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest
import trio

from ghcache import config, invalidation
from ghcache.daemon import protocol
from ghcache.daemon.members import KNOWN_TTL, Hello, Members
from ghcache.daemon.server import Daemon
from ghcache.daemon.sharing import Sharing
from ghcache.daemon.tombstones import (
    MAX_FUTURE,
    MAX_REPLY,
    SKEW,
    Store,
    Tombstone,
    Tombstones,
    retention,
)
from ghcache.entry import Entry

OURS = Sharing.from_secret("team", b"s3cret")
HOST, REPO = "github.com", "github.com/octo/hello"


def stone(repo: str, when: float, classes: tuple[str, ...] = ("issues",)) -> tuple[Tombstone, bytes]:
    tombstone = Tombstone(HOST, repo, classes, when)
    return tombstone, tombstone.seal(OURS)


def times(sealed: list[bytes]) -> list[float]:
    return [Tombstone.open(OURS, blob, now=0).time for blob in sealed]


def test_the_store_keeps_the_newest_per_repo_within_its_cap_and_retention() -> None:
    store = Store(retention=100.0, cap=3)
    for when in (10.0, 30.0, 20.0):  # an older write of the same repo does not replace a newer one
        store.add(*stone(REPO, when))
    assert len(store) == 1 and times(store.since(0.0)[0]) == [30.0]
    for index in range(4):
        store.add(*stone(f"{HOST}/octo/r{index}", 40.0 + index))
    assert len(store) == 3 and store.horizon == 40.0  # capped: the oldest went, and the horizon says so
    sealed, complete_after = store.since(0.0)
    assert times(sealed) == [43.0, 42.0, 41.0]  # newest first
    assert complete_after == 40.0  # from before 40.0 this answer may lack some
    assert store.since(41.0) == (sealed, 0.0)  # from after the horizon it is complete
    store.prune(now=142.5)  # retention: 41.0 and 42.0 are past it
    assert len(store) == 1 and store.horizon == 42.0


def test_a_reply_is_cut_at_its_bounds_and_says_so() -> None:
    store = Store(retention=1e9, cap=10 * MAX_REPLY)
    for index in range(MAX_REPLY + 5):
        store.add(*stone(f"{HOST}/octo/r{index}", 1000.0 + index))
    sealed, complete_after = store.since(0.0)
    assert len(sealed) == MAX_REPLY
    assert complete_after == 1000.0 + 4  # the newest it left out
    reply = protocol.tombstones_reply(sealed, complete_after, 900.0)
    assert protocol.read_tombstones(reply, MAX_REPLY) == (sealed, complete_after, 900.0)


@pytest.mark.parametrize(
    "reply",
    [
        protocol.Message(protocol.OK, {}, b"\x00\x00"),  # a truncated length
        protocol.Message(protocol.OK, {}, struct.pack(">I", 10) + b"short"),  # a truncated tombstone
        protocol.Message(protocol.OK, {"complete_after": "soon"}, b""),
        protocol.Message(protocol.OK, {}, struct.pack(">I", 0) * 3),  # more than we take
        protocol.error("unknown op"),
    ],
)
def test_a_malformed_reply_is_refused(reply: protocol.Message) -> None:
    with pytest.raises(protocol.BadMessage):
        protocol.read_tombstones(protocol.Message.decode(reply.encode()), max_count=2)


def test_tombstones_last_as_long_as_the_longest_ttl_they_can_affect() -> None:
    assert retention(config.DEFAULT_TTLS) == config.DEFAULT_TTLS["repository"] + SKEW  # immutable reads never go stale
    assert retention({"immutable": 1e9}) == SKEW


def tombstones(tmp_path: Path, counted: list[tuple[str, str]]) -> Tombstones:
    return Tombstones(str(tmp_path), str(tmp_path / "daemon"), OURS, 3600.0, lambda *event: counted.append(event))


def answering(store: Tombstones, asked: list[float]):  # noqa: ANN201 (a request callable, as PeerNet.request)
    async def request(peer: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
        asked.append(float(message.fields["since"]))
        return store.answer(message)

    return request


def ran_before(cache_dir: Path, when: float) -> None:
    """A daemon ran on `cache_dir` until `when` (its heartbeat)."""
    (cache_dir / "daemon").mkdir(parents=True, exist_ok=True)
    (cache_dir / "daemon" / "alive").write_text(repr(when))


def test_a_restart_is_unverified_until_a_catch_up_applies_what_it_missed(tmp_path: Path) -> None:
    counted: list[tuple[str, str]] = []
    assert tombstones(tmp_path / "fresh", counted).caught_up.is_set()  # never ran here: no older copies
    member = tombstones(tmp_path / "member", counted)
    written = time.time()
    member.synced_since = written - 3600  # it has run for an hour
    member.record(Tombstone(HOST, REPO, ("issues",), written))
    ran_before(tmp_path / "me", written - 60)  # we last ran a minute ago
    me = tombstones(tmp_path / "me", counted)
    assert me.unverified(written) and not me.caught_up.is_set()  # copies from before our start: not served
    assert me.since_for(None) == written - 60 - SKEW  # from when we last ran, less the skew
    assert me.answer(protocol.peer_tombstones(0.0)).fields["synced_since"] == "inf"  # we cannot vouch for others
    latecomer = tombstones(tmp_path / "latecomer", counted)  # started after we went away: it may lack the write

    async def start_with(store: Tombstones) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(me.catch_up, answering(store, []), "peer", me.since_for(None))
            with trio.fail_after(5):  # no waiting out the bound when the answer cannot close the gap
                await me.wait_at_start(60.0)

    trio.run(start_with, latecomer)
    assert me.unverified(written) and not me.caught_up.is_set()
    asked: list[float] = []
    news = trio.run(me.catch_up, answering(member, asked), "member", me.since_for(None))
    assert news is not None and len(news) == 1 and asked == [written - 60 - SKEW]
    assert invalidation.last_write(str(tmp_path / "me"), HOST, REPO, "issues") == written
    assert not me.unverified(written) and me.caught_up.is_set() and me.status()["caught_up"] is True
    assert me.synced_since == written - 60 - SKEW  # we know every write since what we asked for
    assert trio.run(me.catch_up, answering(member, asked), "member", 0.0) == []  # applied once: no flood

    async def stranger(peer: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
        return protocol.error("not a member")

    assert trio.run(me.catch_up, stranger, "member", 0.0) is None  # no answer: the daemon asks again


def test_losing_every_member_or_being_stopped_opens_a_gap_that_only_a_later_catch_up_closes(tmp_path: Path) -> None:
    counted: list[tuple[str, str]] = []
    member, me = tombstones(tmp_path / "member", counted), tombstones(tmp_path / "me", counted)
    assert not me.unverified(time.time() - 1)
    lost = time.time()
    me.open_gap(lost, lost)
    assert me.unverified(lost - 1) and me.since_for(lost + 100) == lost - SKEW  # the gap's start is earlier

    async def late_gap(peer: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
        me.open_gap(lost, time.time())  # a new gap while the answer was on its way
        return member.answer(message)

    trio.run(me.catch_up, late_gap, "member", me.since_for(None))
    assert me.unverified(lost)  # that answer cannot vouch for what came after it was asked
    trio.run(me.catch_up, answering(member, []), "member", me.since_for(None))
    assert not me.unverified(lost)
    assert not me.slept(time.time() - 1.5, time.time())  # a slow second is no pause
    assert me.slept(time.time() - 60, time.time()) and me.unverified(time.time() - 1)  # a minute: we were stopped


def test_an_incomplete_or_hostile_answer_leaves_older_copies_doubted(tmp_path: Path) -> None:
    counted: list[tuple[str, str]] = []
    me = tombstones(tmp_path, counted)
    now = time.time()
    forged = Sharing.from_secret("team", b"guess").seal("tombstone", b"{}")

    async def incomplete(peer: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
        return protocol.tombstones_reply([forged, stone(REPO, now)[1]], now - 100, 0.0)

    assert len(trio.run(me.catch_up, incomplete, "member", 0.0)) == 1  # the forged one is refused...
    assert ("reject", "tombstone") in counted  # ...and counted
    assert me.unverified(now - 101) and not me.unverified(now - 99)  # older copies stay doubted
    assert me.caught_up.is_set()

    async def boundless(peer: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
        return protocol.tombstones_reply([], now + 1e9, 0.0)

    trio.run(me.catch_up, boundless, "member", 0.0)
    assert not me.unverified(now + 2 * MAX_FUTURE)  # a doubt from the future is clamped like a tombstone


def test_members_report_joins_with_when_they_left_and_the_last_one_leaving(tmp_path: Path) -> None:
    members = Members("me", reachable=True)
    joins: list[tuple[str, float | None]] = []
    alone: list[float] = []
    members.on_join = lambda peer, left: joins.append((peer, left))
    members.on_alone = alone.append
    hello = Hello("a", "me", "", [], True, [])
    members.admit("a", hello, 0)
    members.admit("a", hello, 0)  # a refreshed hello is no join
    members.admit("b", hello, 0)
    members.forget("a")
    assert joins == [("a", None), ("b", None)] and alone == []
    members.forget("b")
    assert len(alone) == 1
    members.admit("a", hello, 0)
    assert joins[-1][0] == "a" and joins[-1][1] is not None  # when A left us: the catch-up asks from then
    members.prune(time.time() + KNOWN_TTL + 1)
    assert members.left == {}  # bounded, like the addresses


def shared_entry(created: float) -> bytes:
    info = json.dumps({"host": HOST, "repo": REPO, "class": "issues"}).encode()
    return Entry(b"[]\n", b"", 0, created, created + 120, info).to_bytes()


def test_a_daemon_neither_hands_on_nor_accepts_a_copy_a_known_tombstone_makes_stale(tmp_path: Path) -> None:
    daemon = Daemon(str(tmp_path), OURS, None)
    wire_key = "a" * 32
    fetched = time.time() - 10
    sealed = OURS.seal(wire_key, shared_entry(fetched))
    daemon.shelve(sealed, protocol.Pointer(wire_key, fetched + 120, len(sealed), ""))
    assert daemon._shelved(wire_key) == sealed
    daemon.tombstones.take(stone(REPO, fetched + 1)[1])  # a member's write after the fetch
    assert daemon._shelved(wire_key) is None  # not handed to peers...
    assert daemon.open_entry(wire_key, sealed, time.time(), "peer") is None  # ...nor taken from them
    assert stats_of(daemon).get("stale peer") == 1


def test_a_daemon_in_a_gap_serves_no_older_shared_copy(tmp_path: Path) -> None:
    ran_before(tmp_path, time.time() - 60)
    daemon = Daemon(str(tmp_path), OURS, None)  # restarted: nobody has told it what it missed
    wire_key = "b" * 32
    sealed = OURS.seal(wire_key, shared_entry(time.time() - 10))
    daemon.shelve(sealed, protocol.Pointer(wire_key, time.time() + 110, len(sealed), ""))
    assert daemon._shelved(wire_key) is None
    assert daemon.open_entry(wire_key, sealed, time.time(), "daemon") is None
    assert stats_of(daemon).get("unverified daemon") == 1
    fresh = OURS.seal(wire_key, shared_entry(time.time() + 1))  # fetched after we started: ours to trust
    assert daemon.open_entry(wire_key, fresh, time.time() + 2, "peer") is not None


def stats_of(daemon: Daemon) -> dict[str, int]:
    from ghcache import stats

    return {name: counter.count for name, counter in stats.load(daemon.cache_dir).counters.items()}


def test_a_lookup_waits_for_a_catch_up_under_way_not_for_one_that_is_not(tmp_path: Path) -> None:
    member = tombstones(tmp_path / "member", [])
    member.synced_since = 0.0
    ran_before(tmp_path / "me", time.time() - 60)
    me = tombstones(tmp_path / "me", [])

    async def slow(peer: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
        await trio.sleep(0.2)
        return member.answer(message)

    async def scenario() -> float:
        with trio.fail_after(5):
            await me.settle(10.0)  # nothing asked yet: no wait
        async with trio.open_nursery() as nursery:
            nursery.start_soon(me.catch_up, slow, "member", me.since_for(None))
            with trio.fail_after(5):
                while not me.asking:  # the catch-up's request is on its way
                    await trio.sleep(0)
            started = trio.current_time()
            await me.settle(10.0)
            return trio.current_time() - started

    waited = trio.run(scenario)
    assert 0.1 < waited < 5 and me.closed.is_set() and not me.unverified(time.time() - 1)


def test_a_sync_takes_the_recent_tombstones_it_lacks_and_leaves_gaps_alone(tmp_path: Path) -> None:
    """Anti-entropy: a tombstone lost on the way (a broken connection, a mesh still forming) is taken
    from a member at the next sync; a sync neither opens nor closes a gap, nor raises doubt."""
    counted: list[tuple[str, str]] = []
    member, me = tombstones(tmp_path / "member", counted), tombstones(tmp_path / "me", counted)
    written = time.time()
    member.record(Tombstone(HOST, REPO, ("issues",), written))
    asked: list[float] = []
    news = trio.run(me.sync, answering(member, asked), "member", written)
    assert len(news) == 1 and asked and asked[0] <= written - SKEW
    assert invalidation.last_write(str(tmp_path / "me"), HOST, REPO, "issues") == written
    assert trio.run(me.sync, answering(member, asked), "member", written) == []  # applied once: no flood
    assert not me.unverified(written - 1)  # no doubt from the member's shorter knowledge

    async def stranger(peer: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
        return protocol.error("not a member")

    assert trio.run(me.sync, stranger, "member", written) == []


def test_writes_queued_while_the_daemon_is_down_are_bounded_private_and_taken_once(tmp_path: Path) -> None:
    from ghcache.daemon import pending

    assert not pending.queue(str(tmp_path), HOST, REPO, ("issues",), 1.0)  # no daemon ever ran here
    (tmp_path / "daemon").mkdir()
    assert pending.queue(str(tmp_path), HOST, REPO, ("issues", "api"), 5.0)
    assert not pending.queue(str(tmp_path), HOST, "a\tb", ("issues",), 6.0)  # no field can forge a line
    queued = tmp_path / "daemon" / pending.PENDING_NAME
    assert queued.stat().st_mode & 0o077 == 0
    with queued.open("ab") as handle:  # hostile lines are skipped, the good ones kept
        handle.write(b"nan\th\tr\tissues\n\xff\xfe\n1e400\th\tr\tissues\nonly\tthree\tfields\n")
    assert pending.drain(str(tmp_path)) == [(HOST, REPO, ("issues", "api"), 5.0)]
    assert pending.drain(str(tmp_path)) == []  # taken once
    queued.write_bytes(b"x" * pending.MAX_PENDING_BYTES)
    assert not pending.queue(str(tmp_path), HOST, REPO, ("issues",), 7.0)  # bounded
