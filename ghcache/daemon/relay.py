"""Circuit relay v2 (py-libp2p's own): how a runner that nothing can dial is reachable all the same.

A runner behind NAT or a firewall (a GitHub-hosted runner) dials out to a reachable daemon run with
GH_CACHE_P2P_RELAY_SERVICE=1 and named in its GH_CACHE_P2P_RELAY, proves its membership there with
a hello, and reserves a slot. From then on it advertises `<relay>/p2p-circuit/p2p/<runner>`
addresses: a member that dials one opens a stream to the relay, the relay opens one to the runner
over the runner's own outbound connection and pipes the two together, and the two ends run Noise
and yamux over that pipe as over TCP. The relay sees ciphertext only, and everything above
(hellos, lookups, leases, gossip) is the same as on a direct connection.

Within the trust model: the relay takes reservations and circuit requests from members only (any
other peer's stream is reset), and a runner takes relayed connections only from its own relays;
a relayed peer is still a stranger until its hello proves it holds the namespace secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import multiaddr
import trio
from libp2p.abc import IHost, INetConn, INetStream
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.relay.circuit_v2.config import RelayConfig, RelayRole
from libp2p.relay.circuit_v2.protocol import PROTOCOL_ID as HOP_PROTOCOL
from libp2p.relay.circuit_v2.protocol import STOP_PROTOCOL_ID, CircuitV2Protocol
from libp2p.relay.circuit_v2.resources import RelayLimits
from libp2p.relay.circuit_v2.transport import CircuitV2Transport

log = logging.getLogger(__name__)
CIRCUIT = "/p2p-circuit"
RESERVE_TIMEOUT = 10.0
RENEW_BEFORE = 300.0  # a reservation is renewed this long before the relay would drop it
RESERVATION_TTL = 3600
CIRCUIT_BYTES = 1 << 40
IsMember = Callable[[str], bool]  # peer id -> whether it proved it holds the namespace secret


def is_circuit(addr: str) -> bool:
    return CIRCUIT + "/" in addr


def parse_relays(addrs: Iterable[str]) -> list[PeerInfo]:
    """GH_CACHE_P2P_RELAY entries; a bad one stops the daemon with a message naming it."""
    infos = []
    for addr in addrs:
        try:
            if is_circuit(addr):
                raise ValueError("a relay is dialled directly, not through another relay")
            infos.append(info_from_p2p_addr(multiaddr.Multiaddr(addr)))
        except Exception as error:  # multiaddr raises many types
            raise ValueError(f"GH_CACHE_P2P_RELAY: {addr!r} is not a .../p2p/<peer id> multiaddr ({error})") from None
    return infos


class Relaying:
    """The relay protocol on our host: a hop service for members (if `serve`), the stop side for
    connections our relays bring us, reservations at our relays and dials through other relays."""

    def __init__(self, host: IHost, relays: list[PeerInfo], serve: bool, cap: int, is_member: IsMember) -> None:
        self.host, self.relays, self.serve, self.is_member = host, relays, serve, is_member
        # Members are trusted with the relay: no per-circuit time cap (0 is none) and a byte cap
        # no job reaches (0 would mean none in the spec, but py-libp2p 0.8.1 then relays nothing),
        # and no more reservations or circuits than we keep inbound connections.
        limits = RelayLimits(
            duration=0, data=CIRCUIT_BYTES, max_circuit_conns=cap, max_reservations=cap, reservation_ttl=RESERVATION_TTL
        )
        self.protocol = CircuitV2Protocol(host, limits=limits, allow_hop=serve)
        # STOP only: a dial through a relay must not also ask that relay for a reservation (CLIENT)
        self.transport = CircuitV2Transport(host, self.protocol, RelayConfig(roles=RelayRole.STOP, limits=limits))
        self.addrs = {info.peer_id.to_string(): _relay_addr(info) for info in relays}
        self.reserved: dict[str, float] = {}  # relay peer id -> when its reservation runs out (time.time)
        self.reserving: set[str] = set()

    def install(self) -> None:
        """Our guarded handlers in place of the ones the protocol service registered."""
        if self.serve:
            self.host.set_stream_handler(HOP_PROTOCOL, self._hop)
        self.host.set_stream_handler(STOP_PROTOCOL_ID, self._stop)

    async def _hop(self, stream: INetStream) -> None:
        if not self.is_member(stream.muxed_conn.peer_id.to_string()):
            await _end(stream, reset=True)
            return
        await self.protocol._handle_hop_stream(stream)  # noqa: SLF001 (py-libp2p 0.8.1 has no public hook)

    async def _stop(self, stream: INetStream) -> None:
        if stream.muxed_conn.peer_id.to_string() not in self.addrs:
            await _end(stream, reset=True)
            return
        await self.protocol._handle_stop_stream(stream)  # noqa: SLF001

    def circuit_addrs(self, me: str) -> list[str]:
        """Where members can reach us: through each relay that holds a reservation for us."""
        now = time.time()
        return [f"{self.addrs[relay]}{CIRCUIT}/p2p/{me}" for relay, until in self.reserved.items() if until > now]

    def due(self, connected: set[str]) -> list[str]:
        """Relays we are connected to (and members of) whose reservation is missing or runs out soon;
        a relay we lost the connection to has lost our reservation too."""
        self.reserved = {relay: until for relay, until in self.reserved.items() if relay in connected}
        soon = time.time() + RENEW_BEFORE
        return [
            relay
            for relay in self.addrs
            if relay in connected
            and self.is_member(relay)
            and relay not in self.reserving
            and self.reserved.get(relay, 0.0) < soon
        ]

    def drop_gone(self, connected: set[str]) -> None:
        """As the relay: forget the reservations of runners that left. The spec ends a reservation
        with its connection, but py-libp2p 0.8.1 counts it against max_reservations until its TTL,
        so an hour of matrix jobs coming and going would use them all up."""
        reservations = self.protocol.resource_manager._reservations  # noqa: SLF001
        for peer in [peer for peer in reservations if peer.to_string() not in connected]:
            del reservations[peer]

    async def reserve(self, relay: str) -> None:
        """Reserve (or renew) a slot at `relay`; failures are retried on a later round."""
        self.reserving.add(relay)
        peer = ID.from_base58(relay)
        try:
            with trio.move_on_after(RESERVE_TIMEOUT):
                stream = await self.host.new_stream(peer, [HOP_PROTOCOL])
                try:
                    if await self.transport._make_reservation(stream, peer):  # noqa: SLF001
                        expires = float(self.transport._reservations.get(peer, 0) or 0)  # noqa: SLF001
                        self.reserved[relay] = expires if expires > time.time() else time.time() + RESERVATION_TTL
                        log.info("reserved a slot at relay %s", relay)
                finally:
                    await _end(stream)
        except Exception as error:  # libp2p raises many types for a relay that is down or refuses
            log.info("reserving at relay %s: %s", relay, error)
        finally:
            self.reserving.discard(relay)

    async def dial(self, addr: str) -> INetConn:
        """A connection to the peer at a `/p2p-circuit` address, through its relay; Noise and yamux
        run end to end over the relayed stream, as on a direct connection."""
        return await self.transport.dial(multiaddr.Multiaddr(addr))


def _relay_addr(info: PeerInfo) -> str:
    return f"{info.addrs[0]}/p2p/{info.peer_id.to_string()}" if info.addrs else f"/p2p/{info.peer_id.to_string()}"


async def _end(stream: INetStream, *, reset: bool = False) -> None:
    """Close (or reset) a relay stream, bounded and shielded: ending it must not wait on a dead peer."""
    with trio.CancelScope(deadline=trio.current_time() + 1.0, shield=True):
        try:
            await (stream.reset() if reset else stream.close())
        except Exception as error:  # the stream is gone already
            log.debug("ending a relay stream: %s", error)
