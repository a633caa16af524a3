"""The inbound connection cap (GH_CACHE_P2P_MAX_INBOUND): a daemon keeps at most that many
connections that others opened to it, however many peers dial it.

Past the cap the least valuable inbound connections are closed at once (a swarm notifee runs the
check on every new connection, and the mesh's round runs it again every second):
1. strangers that have had HELLO_GRACE to prove their membership and did not;
2. then strangers still within their grace, the newest first (the earlier ones are about to hello);
3. only then members, the least recently useful first (a request served or answered).
So a stranger flood can take no member's slot: while any stranger holds one, strangers go first,
and a flood's stale connections make room for members that dial in later. Outbound connections
(our dials, capped by GH_CACHE_P2P_MAX_PEERS) are never closed here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import trio
from libp2p.abc import INetConn, INetStream, INetwork, INotifee
from libp2p.network.swarm import Swarm
from libp2p.rcmgr import Direction
from multiaddr import Multiaddr

log = logging.getLogger(__name__)
HELLO_GRACE = 10.0  # seconds a new peer has to prove its membership before it is the first to go
CLOSE_TIMEOUT = 2.0
IsMember = Callable[[str], bool]
LastUseful = Callable[[str], float]  # peer id -> when it last was of use to us (0: never)


class InboundCap:
    def __init__(self, swarm: Swarm, cap: int, is_member: IsMember, last_useful: LastUseful) -> None:
        self.swarm, self.cap, self.is_member, self.last_useful = swarm, cap, is_member, last_useful
        self.opened: dict[int, float] = {}  # id(connection) -> when we saw it open
        self.closing: set[int] = set()
        # py-libp2p 0.8.1 holds one slot of its own inbound limiter for every connection it ever
        # accepted (the handler waits for the swarm to stop, not for the connection to close), so a
        # long-lived daemon would refuse all inbound after 250 of them: this cap replaces it.
        swarm._inbound_limiter = trio.CapacityLimiter(float("inf"))  # noqa: SLF001

    def inbound(self) -> list[INetConn]:
        return [
            conn
            for conns in self.swarm.connections.values()
            for conn in conns
            if getattr(conn, "direction", None) == Direction.INBOUND and id(conn) not in self.closing
        ]

    def excess(self, now: float) -> list[INetConn]:
        """The inbound connections to close to get back to the cap, least valuable first."""
        conns = self.inbound()
        live = {id(conn) for conn in conns} | self.closing
        self.opened = {key: since for key, since in self.opened.items() if key in live}
        if len(conns) <= self.cap:
            return []
        for conn in conns:
            self.opened.setdefault(id(conn), now)
        return sorted(conns, key=lambda conn: self._value(conn, now))[: len(conns) - self.cap]

    def _value(self, conn: INetConn, now: float) -> tuple[int, float]:
        peer = conn.muxed_conn.peer_id.to_string()
        opened = self.opened[id(conn)]
        if self.is_member(peer):
            return (2, self.last_useful(peer) or opened)
        if now - opened < HELLO_GRACE:
            return (1, -opened)
        return (0, opened)

    def condemn(self) -> list[INetConn]:
        """The connections past the cap, marked as closing (no longer counted) before any checkpoint."""
        doomed = self.excess(time.monotonic())
        self.closing.update(id(conn) for conn in doomed)
        return doomed

    async def trim(self) -> None:
        await self.close(self.condemn())

    async def close(self, doomed: list[INetConn]) -> None:
        for conn in doomed:
            log.info("inbound cap %d: closing the connection from %s", self.cap, conn.muxed_conn.peer_id)
            with trio.move_on_after(CLOSE_TIMEOUT):
                try:
                    await conn.close()
                except Exception as error:  # libp2p raises many types for a connection already gone
                    log.debug("closing a connection: %s", error)
            self.closing.discard(id(conn))


class TrimOnConnect(INotifee):
    """Runs the cap's check as soon as a connection opens, off the swarm's notification path."""

    def __init__(self, cap: InboundCap, nursery: trio.Nursery) -> None:
        self.cap, self.nursery = cap, nursery

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        self.cap.opened.setdefault(id(conn), time.monotonic())
        self.nursery.start_soon(self.cap.close, self.cap.condemn())

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        self.cap.opened.pop(id(conn), None)

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def listen(self, network: INetwork, multiaddr: Multiaddr) -> None:
        pass

    async def listen_close(self, network: INetwork, multiaddr: Multiaddr) -> None:
        pass
