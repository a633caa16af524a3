"""The libp2p tier: one host (TCP + Noise + yamux) that finds peers, hears hints and fetches entries.

Peers come from GH_CACHE_P2P_BOOTSTRAP (kept connected by libp2p's bootstrap discovery), mDNS under
a namespace-derived service type, and whoever dials us. Kademlia (our own protocol prefix) holds
provider records and sealed IPFS pointers by wire key; GossipSub carries sealed announcements,
which are only hints: data always comes over the `/ghcache/1.0.0` request/response protocol and
is verified by the caller before use.
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable, Iterable, Sequence, TypeVar

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.keys import KeyPair
from libp2p.crypto.x25519 import create_new_key_pair as create_noise_key_pair
from libp2p.custom_types import TProtocol
from libp2p.identity_utils import load_identity, save_identity
from libp2p.kad_dht.kad_dht import DHTMode, KadDHT
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID as GOSSIPSUB_PROTOCOL_ID
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.records.validator import Validator
from libp2p.request_response import BytesCodec, RequestContext, RequestResponse, RequestResponseConfig
from libp2p.request_response import RequestResponseError
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
DHT_NAMESPACE = protocol.DHT_PREFIX.strip("/")

Serve = Callable[[str], Awaitable[bytes | None]]  # wire key -> sealed entry we hold, or None
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


class PeerNet:
    """A running host; build it with `start`."""

    def __init__(self, host: IHost, dht: KadDHT, pubsub: Pubsub, requests: RequestResponse,
                 sharing: Sharing) -> None:
        self.host, self.dht, self.pubsub, self.requests, self.sharing = host, dht, pubsub, requests, sharing
        self.hinted: dict[str, set[ID]] = {}  # wire key -> peers that announced it

    @property
    def peer_id(self) -> str:
        return self.host.get_id().to_string()

    def addresses(self) -> list[str]:
        return [f"{addr}/p2p/{self.peer_id}" for addr in self.host.get_addrs()
                if "/p2p/" not in str(addr)] or [str(addr) for addr in self.host.get_addrs()]

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

    async def _ask(self, wire_key: str, peers: Iterable[ID], asked: set[ID],
                   accept: Callable[[bytes], T | None], timeout: float) -> T | None:
        chosen = [peer for peer in dict.fromkeys(peers) if peer not in asked and peer != self.host.get_id()]
        chosen = chosen[:MAX_ASKED]
        asked.update(chosen)
        results: list[T] = []
        config = RequestResponseConfig(timeout=max(timeout, 0.05), max_response_size=protocol.MAX_BODY)
        request = protocol.peer_get(wire_key).encode()

        async def ask(peer: ID, cancel: trio.CancelScope) -> None:
            try:
                reply = protocol.Message.decode(
                    await self.requests.send_request(peer, [PEER_PROTOCOL], request, BytesCodec(), config))
            except (RequestResponseError, protocol.BadMessage, OSError) as error:
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
        await self.pubsub.publish(self.sharing.topic, protocol.Message(
            protocol.ANNOUNCE, {"key": pointer.key}, sealed).encode())
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
        """Redial bootstrap peers that dropped, and fold every connected peer (bootstrap, mDNS,
        inbound) into the DHT's routing table. We dial only once pubsub runs, so no peer meets
        us before we can take its gossip stream."""
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
    """Noise is the only security transport: no plaintext, secio or TLS fallbacks to downgrade to."""
    noise = NoiseTransport(key_pair, noise_privkey=create_noise_key_pair().private_key)
    return new_host(
        key_pair=key_pair,
        sec_opt={NOISE_PROTOCOL_ID: noise},
        muxer_preference="YAMUX",
        listen_addrs=[multiaddr.Multiaddr(addr) for addr in settings.listen],
    )


def _gossipsub() -> GossipSub:
    return GossipSub(protocols=[GOSSIPSUB_PROTOCOL_ID], degree=6, degree_low=4, degree_high=12,
                     heartbeat_initial_delay=0.5, heartbeat_interval=5)


def _peer_handler(serve: Serve) -> Callable[[bytes, RequestContext], Awaitable[bytes]]:
    async def handle(request: bytes, context: RequestContext) -> bytes:
        try:
            message = protocol.Message.decode(request)
        except protocol.BadMessage:
            return protocol.error("bad request").encode()
        if message.op != protocol.PEER_GET:
            return protocol.error(f"unknown op {message.op}").encode()
        sealed = await serve(str(message.fields.get("key", "")))
        return (protocol.found(sealed) if sealed is not None else protocol.missing()).encode()

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
        requests = RequestResponse(host)
        requests.set_handler(PEER_PROTOCOL, _peer_handler(serve), BytesCodec(),
                             RequestResponseConfig(max_response_size=protocol.MAX_BODY))
        async with background_trio_service(dht), background_trio_service(pubsub), \
                background_trio_service(gossipsub):
            await pubsub.wait_until_ready()
            net = PeerNet(host, dht, pubsub, requests, sharing)
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
            raise ValueError(f"GH_CACHE_P2P_BOOTSTRAP: {addr!r} is not a .../p2p/<peer id> multiaddr ({error})") from None
    return infos
