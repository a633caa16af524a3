"""The libp2p tier: one host (TCP + Noise + yamux) that finds peers, hears hints and fetches entries.

Peers come from GH_CACHE_P2P_BOOTSTRAP (kept connected by libp2p's bootstrap discovery), mDNS under
a namespace-derived service type, and whoever dials us. Kademlia (our own protocol prefix) holds
provider records and sealed IPFS pointers by wire key; GossipSub carries sealed announcements,
which are only hints: data always comes over the `/ghcache/1.1.0` request/response protocol and
is verified by the caller before use. Connections stay open (bootstrap peers are redialled), and
so do the streams of that protocol: a request reuses an idle stream to its peer when there is one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost, INetStream
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.keys import KeyPair
from libp2p.crypto.x25519 import create_new_key_pair as create_noise_key_pair
from libp2p.custom_types import TProtocol
from libp2p.identity_utils import load_identity, save_identity
from libp2p.kad_dht.kad_dht import DHTMode, KadDHT
from libp2p.network.config import RetryConfig
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID as GOSSIPSUB_PROTOCOL_ID
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.records.validator import Validator
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.tools.anyio_service import background_trio_service

from . import protocol
from .settings import DaemonSettings
from .sharing import Rejected, Sharing

log = logging.getLogger(__name__)
T = TypeVar("T")
PEER_PROTOCOL = TProtocol(protocol.PEER_PROTOCOL)
MAX_ASKED = 8  # peers asked at once for one key
ROUTING_REFRESH = 5.0  # seconds between redialling bootstrap peers and refreshing the routing table
DIAL_TIMEOUT = 5.0
STREAMS_PER_PEER = 4  # idle streams kept per peer; busier moments open extra ones and close them after
STREAM_IDLE = 120.0  # a kept stream unused this long is closed by the asking side...
SERVE_IDLE = 2 * STREAM_IDLE  # ...and one silent this long by the serving side
MAX_INBOUND = 128  # streams we serve at once, over all peers
MAX_REQUEST_BODY = 0  # a peer-get has none, so no peer can make us buffer one
CLEANUP_TIMEOUT = 1.0  # to reset or close a stream, even when the request was cancelled
DHT_NAMESPACE = protocol.DHT_PREFIX.strip("/")

Serve = Callable[[str], Awaitable[bytes | None]]  # wire key -> sealed entry we hold, or None
OpenStream = Callable[[ID], Awaitable[INetStream]]
Hint = Callable[[protocol.Pointer], None]  # a verified announcement


class PointerValidator(Validator):
    """DHT records under /ghcache/<wire key> must be pointers sealed with our secret."""

    def __init__(self, sharing: Sharing) -> None:
        self.sharing = sharing

    def validate(self, key: str, value: bytes) -> None:
        open_pointer(self.sharing, key.rsplit("/", 1)[-1], value)

    def select(self, key: str, values: list[bytes]) -> int:
        return 0


def open_pointer(sharing: Sharing, wire_key: str, sealed: bytes) -> protocol.Pointer:
    """The pointer inside a sealed record; Rejected unless it is ours and names this key."""
    try:
        pointer = protocol.Pointer.from_bytes(sharing.open(wire_key, sealed))
    except protocol.BadMessage as error:
        raise Rejected(str(error)) from None
    if pointer.key != wire_key:
        raise Rejected("pointer names another key")
    return pointer


class Streams:
    """Kept request streams, a few per peer: a request costs one round trip on an open stream, not
    a new stream and its protocol negotiation. A stream is kept only after a clean exchange; an
    error, timeout or cancellation resets it, so a late reply can never answer the next request."""

    def __init__(self, open_stream: OpenStream) -> None:
        self.open_stream = open_stream
        self.idle: dict[ID, list[tuple[INetStream, float]]] = {}  # peer -> (stream, when it was kept)

    async def request(self, peer: ID, frame: bytes) -> protocol.Message:
        kept = self.idle.get(peer)
        if kept:
            try:
                return await self._exchange(peer, kept.pop()[0], frame)
            except Exception as error:  # the peer closed it meanwhile (idle, restart): one fresh try
                log.debug("kept stream to %s: %s", peer, error)
        return await self._exchange(peer, await self.open_stream(peer), frame)

    async def _exchange(self, peer: ID, stream: INetStream, frame: bytes) -> protocol.Message:
        try:
            await stream.write(frame)
            reply = await protocol.read_message(stream.read)
        except BaseException:
            await _end(stream, reset=True)
            raise
        kept = self.idle.setdefault(peer, [])
        if len(kept) < STREAMS_PER_PEER:
            kept.append((stream, trio.current_time()))
        else:
            await _end(stream)
        return reply

    async def close_idle(self) -> None:
        """Close streams unused for STREAM_IDLE (before the peer drops them), and forget gone peers."""
        oldest = trio.current_time() - STREAM_IDLE
        for peer, kept in list(self.idle.items()):
            self.idle[peer] = [(stream, since) for stream, since in kept if since > oldest]
            for stream, since in kept:
                if since <= oldest:
                    await _end(stream)
            if not self.idle[peer]:
                del self.idle[peer]


async def _end(stream: INetStream, reset: bool = False) -> None:
    """Close (or reset) a stream in bounded time, even inside a cancelled scope; errors mean it is gone."""
    with trio.CancelScope(deadline=trio.current_time() + CLEANUP_TIMEOUT, shield=True):
        try:
            await (stream.reset() if reset else stream.close())
        except Exception as error:  # libp2p raises many types for a stream that is already gone
            log.debug("ending a stream: %s", error)


async def serve_stream(stream: INetStream, serve: Serve) -> None:
    """Answer requests on one stream, one after another, until the peer closes it or leaves it idle."""
    try:
        while await _serve_one(stream, serve):  # bounded in time: each request comes within SERVE_IDLE
            pass
    except Exception as error:  # the peer closed the stream, went away or sent junk
        log.debug("serving a stream: %s", error)
        await _end(stream, reset=True)
        return
    await _end(stream)


async def _serve_one(stream: INetStream, serve: Serve) -> bool:
    """Read one request and answer it; False if none came within SERVE_IDLE."""
    with trio.move_on_after(SERVE_IDLE):
        request = await protocol.read_message(stream.read, MAX_REQUEST_BODY)
        await stream.write((await _answer(request, serve)).encode())
        return True
    return False


async def _answer(request: protocol.Message, serve: Serve) -> protocol.Message:
    if request.op != protocol.PEER_GET:
        return protocol.error(f"unknown op {request.op}")
    sealed = await serve(request.fields.get("key", ""))
    return protocol.found(sealed) if sealed is not None else protocol.missing()


class PeerNet:
    """A running host; build it with `start`."""

    def __init__(self, host: IHost, dht: KadDHT, pubsub: Pubsub, sharing: Sharing) -> None:
        self.host, self.dht, self.pubsub, self.sharing = host, dht, pubsub, sharing
        self.streams = Streams(lambda peer: host.new_stream(peer, [PEER_PROTOCOL]))
        self.hinted: dict[str, set[ID]] = {}  # wire key -> peers that announced it

    @property
    def peer_id(self) -> str:
        return self.host.get_id().to_string()

    def addresses(self) -> list[str]:
        return [f"{addr}/p2p/{self.peer_id}" for addr in self.host.get_addrs() if "/p2p/" not in str(addr)] or [
            str(addr) for addr in self.host.get_addrs()
        ]

    def connected(self) -> list[str]:
        return [peer.to_string() for peer in self.host.get_connected_peers()]

    async def fetch(self, wire_key: str, accept: Callable[[bytes], T | None], timeout: float) -> T | None:
        """The first sealed entry a peer sends that `accept` takes: hinted and connected peers first,
        then the DHT's providers. Peers that fail or send junk are skipped."""
        asked: set[ID] = set()
        with trio.move_on_after(timeout):
            first = [*self.hinted.get(wire_key, ()), *self.host.get_connected_peers()]
            result = await self._ask(wire_key, first, asked, accept, timeout)
            if result is not None:
                return result
            providers = await self.dht.find_providers(wire_key, count=MAX_ASKED)
            return await self._ask(wire_key, [info.peer_id for info in providers], asked, accept, timeout)
        return None

    async def _ask(
        self, wire_key: str, peers: Iterable[ID], asked: set[ID], accept: Callable[[bytes], T | None], timeout: float
    ) -> T | None:
        chosen = [peer for peer in dict.fromkeys(peers) if peer not in asked and peer != self.host.get_id()]
        chosen = chosen[:MAX_ASKED]
        asked.update(chosen)
        results: list[T] = []
        request = protocol.peer_get(wire_key).encode()

        async def ask(peer: ID, cancel: trio.CancelScope) -> None:
            try:
                reply = await self.streams.request(peer, request)
            except Exception as error:  # libp2p raises many types for a peer that is down or rude
                log.debug("peer %s: %s", peer, error)
                return
            if reply.op == protocol.FOUND:
                accepted = accept(reply.body)
                if accepted is not None and not results:
                    results.append(accepted)
                    cancel.cancel()

        async with trio.open_nursery() as nursery:
            for peer in chosen:
                nursery.start_soon(ask, peer, nursery.cancel_scope)
        return results[0] if results else None

    async def announce(self, pointer: protocol.Pointer) -> None:
        """Tell the namespace we hold an entry: a gossip hint, a provider record, and (with a CID)
        a sealed pointer in the DHT so it can be found on IPFS after we are gone."""
        sealed = self.sharing.seal(pointer.key, pointer.to_bytes())
        await self.pubsub.publish(
            self.sharing.topic, protocol.Message(protocol.ANNOUNCE, {"key": pointer.key}, sealed).encode()
        )
        await self.dht.provide(pointer.key)
        if pointer.cid:
            await self.dht.put_value(f"/{DHT_NAMESPACE}/{pointer.key}", sealed)

    async def find_pointer(self, wire_key: str) -> protocol.Pointer | None:
        """A sealed pointer from the DHT (ours, else the closest peers'); forgeries are dropped."""
        record = await self.dht.get_value(f"/{DHT_NAMESPACE}/{wire_key}")
        if record is None:
            return None
        return open_pointer(self.sharing, wire_key, record)

    async def listen_for_hints(self, on_hint: Hint, on_reject: Callable[[], None]) -> None:
        subscription = await self.pubsub.subscribe(self.sharing.topic)
        while True:
            message = await subscription.get()
            try:
                announcement = protocol.Message.decode(message.data)
                pointer = open_pointer(self.sharing, str(announcement.fields.get("key", "")), announcement.body)
            except (protocol.BadMessage, Rejected):
                on_reject()
                continue
            self.hinted.setdefault(pointer.key, set()).add(ID(message.from_id))
            on_hint(pointer)

    async def keep_connected(self, bootstrap: Sequence[PeerInfo]) -> None:
        """Redial bootstrap peers that dropped, fold every connected peer (bootstrap, mDNS,
        inbound) into the DHT's routing table, and close long-idle request streams. We dial only
        once pubsub runs, so no peer meets us before we can take its gossip stream."""
        while True:
            connected = set(self.host.get_connected_peers())
            for info in bootstrap:
                if info.peer_id not in connected:
                    with trio.move_on_after(DIAL_TIMEOUT):
                        try:
                            await self.host.connect(info)
                        except Exception as error:  # libp2p raises many types for a peer that is down
                            log.info("bootstrap peer %s: %s", info.peer_id, error)
            for peer in self.host.get_connected_peers():
                await self.dht.routing_table.add_peer(peer)
            await self.streams.close_idle()
            await trio.sleep(ROUTING_REFRESH)


def _identity(state_dir: str) -> KeyPair:
    """A stable peer id across restarts, so bootstrap lists stay valid."""
    path = os.path.join(state_dir, "identity.key")
    try:
        return load_identity(path)
    except (OSError, ValueError):
        key_pair = create_new_key_pair()
        os.makedirs(state_dir, mode=0o700, exist_ok=True)
        save_identity(key_pair, path)
        return key_pair


def _new_host(settings: DaemonSettings, key_pair: KeyPair) -> IHost:
    """Noise is the only security transport: no plaintext, secio or TLS fallbacks to downgrade to.
    A failed dial is not retried: a lookup has ~100 ms, and libp2p's first retry waits 100 ms, so
    one dead peer would eat IPFS's share of it; `keep_connected` redials bootstrap peers anyway."""
    noise = NoiseTransport(key_pair, noise_privkey=create_noise_key_pair().private_key)
    host = new_host(
        key_pair=key_pair,
        sec_opt={NOISE_PROTOCOL_ID: noise},
        muxer_preference="YAMUX",
        listen_addrs=[multiaddr.Multiaddr(addr) for addr in settings.listen],
    )
    host.get_network().retry_config = RetryConfig(max_retries=0)
    return host


def _gossipsub() -> GossipSub:
    return GossipSub(
        protocols=[GOSSIPSUB_PROTOCOL_ID],
        degree=6,
        degree_low=4,
        degree_high=12,
        heartbeat_initial_delay=0.5,
        heartbeat_interval=5,
    )


def _peer_handler(serve: Serve) -> Callable[[INetStream], Awaitable[None]]:
    """Serves each inbound request stream, at most MAX_INBOUND at once (more are reset)."""
    limit = trio.Semaphore(MAX_INBOUND)

    async def handle(stream: INetStream) -> None:
        try:
            limit.acquire_nowait()
        except trio.WouldBlock:
            await _end(stream, reset=True)
            return
        try:
            await serve_stream(stream, serve)
        finally:
            limit.release()

    return handle


@asynccontextmanager
async def start(settings: DaemonSettings, sharing: Sharing, state_dir: str, serve: Serve) -> AsyncIterator[PeerNet]:
    """Run the host, DHT, pubsub and our protocol until the block exits."""
    bootstrap = parse_bootstrap(settings.bootstrap)
    key_pair = _identity(state_dir)
    host = _new_host(settings, key_pair)
    listen = [multiaddr.Multiaddr(addr) for addr in settings.listen]
    async with host.run(listen_addrs=listen):
        dht = KadDHT(host, DHTMode.SERVER, protocol_prefix=TProtocol(protocol.DHT_PREFIX), strict_validation=True)
        dht.register_validator(DHT_NAMESPACE, PointerValidator(sharing))
        gossipsub = _gossipsub()
        pubsub = Pubsub(host, gossipsub)
        host.set_stream_handler(PEER_PROTOCOL, _peer_handler(serve))
        async with background_trio_service(dht), background_trio_service(pubsub), background_trio_service(gossipsub):
            await pubsub.wait_until_ready()
            net = PeerNet(host, dht, pubsub, sharing)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(net.keep_connected, bootstrap)
                if settings.mdns:
                    from .mdns import discover

                    nursery.start_soon(discover, host, sharing.mdns_service, settings.mdns_interfaces)
                yield net
                nursery.cancel_scope.cancel()


def parse_bootstrap(addrs: Iterable[str]) -> list[PeerInfo]:
    """GH_CACHE_P2P_BOOTSTRAP entries; a bad one stops the daemon with a message naming it."""
    infos = []
    for addr in addrs:
        try:
            infos.append(info_from_p2p_addr(multiaddr.Multiaddr(addr)))
        except Exception as error:  # multiaddr raises many types
            raise ValueError(
                f"GH_CACHE_P2P_BOOTSTRAP: {addr!r} is not a .../p2p/<peer id> multiaddr ({error})"
            ) from None
    return infos
