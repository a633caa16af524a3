"""A libp2p connection survives the requests we cancel (lookups that have their answer, deadlines):
two real hosts (TCP, Noise, yamux) on 127.0.0.1 in one process."""

from __future__ import annotations

import random

import multiaddr
import pytest
import trio
import trio.testing
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.network.connection.exceptions import RawConnError
from libp2p.peer.peerinfo import PeerInfo

from ghcache.daemon import p2p, sessions
from ghcache.daemon.settings import DaemonSettings

LOOPBACK = [multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]
CANCELLED = 100  # without whole writes the connection broke after 2 to 5 of these (py-libp2p 0.8)


async def echo(stream) -> None:  # type: ignore[no-untyped-def]
    try:
        while data := await stream.read(65536):
            await stream.write(data)
    except Exception:  # the asker reset the stream: done
        pass


def test_a_connection_outlives_many_requests_cancelled_mid_write() -> None:
    """Each request is cancelled at a random point of its write or read, as a lookup cancels the
    requests it no longer needs: the one connection between the hosts carries on unbroken."""

    async def scenario() -> int:
        settings = DaemonSettings.from_env({"GH_CACHE_P2P_LISTEN": "/ip4/127.0.0.1/tcp/0"})
        a, b = (p2p._new_host(settings, create_new_key_pair()) for _ in range(2))
        rng = random.Random(12)
        async with a.run(listen_addrs=LOOPBACK), b.run(listen_addrs=LOOPBACK):
            b.set_stream_handler(p2p.PEER_PROTOCOL, echo)
            await a.connect(PeerInfo(b.get_id(), b.get_addrs()))
            first = a.get_network().connections[b.get_id()][0]
            for done in range(CANCELLED):
                stream = await a.new_stream(b.get_id(), [p2p.PEER_PROTOCOL])
                with trio.move_on_after(rng.random() * 0.002):
                    await stream.write(b"x" * rng.randrange(1, 200_000))
                    await stream.read(10)
                await p2p._end(stream, reset=True)
                if a.get_network().connections.get(b.get_id(), [None])[0] is not first:
                    return done
            stream = await a.new_stream(b.get_id(), [p2p.PEER_PROTOCOL])
            await stream.write(b"still there")
            assert await stream.read(11) == b"still there"
            return CANCELLED

    assert trio.run(scenario) == CANCELLED


class Session:
    """A session whose write takes several scheduling rounds, or never ends."""

    def __init__(self, rounds: int | None) -> None:
        self.rounds, self.sent, self.closed = rounds, b"", False

    async def write(self, data: bytes) -> None:
        if self.rounds is None:
            await trio.sleep_forever()
        for index in range(len(data)):
            await trio.sleep(0)
            self.sent += data[index : index + 1]

    async def close(self) -> None:
        self.closed = True


def test_a_cancelled_write_is_still_sent_whole_and_the_cancel_then_lands() -> None:
    session = Session(rounds=5)
    write = sessions.whole_writes(Session.write)  # type: ignore[arg-type]

    async def scenario() -> tuple[bytes, bool]:
        sent_when_cancelled = b""

        async def request(scope: trio.CancelScope) -> None:
            nonlocal sent_when_cancelled
            with scope:
                await write(session, b"frame")
                sent_when_cancelled = session.sent
                await trio.sleep(0)  # the caller's next checkpoint

        scope = trio.CancelScope()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(request, scope)
            await trio.sleep(0)
            scope.cancel()  # while the frame is half sent
        return sent_when_cancelled, scope.cancelled_caught

    assert trio.run(scenario) == (b"frame", True)
    assert not session.closed


def test_a_write_that_never_ends_ends_the_session_at_the_bound() -> None:
    session = Session(rounds=None)
    write = sessions.whole_writes(Session.write)  # type: ignore[arg-type]

    async def scenario() -> float:
        started = trio.current_time()
        with pytest.raises(RawConnError):
            await write(session, b"frame")  # type: ignore[arg-type]
        return trio.current_time() - started

    took = trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))
    assert took == pytest.approx(sessions.WRITE_BOUND) and session.closed


def test_the_guard_is_installed_once() -> None:
    from libp2p.security.secure_session import SecureSession

    sessions.guard()
    guarded = SecureSession.write
    sessions.guard()
    assert SecureSession.write is guarded and hasattr(guarded, "__wrapped__")
