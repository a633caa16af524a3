"""The libp2p tier: one host (TCP + Noise + yamux) that finds peers, hears hints and fetches entries.

Peers come from GH_CACHE_P2P_BOOTSTRAP (several may be given; redialled when they drop), mDNS under
a namespace-derived service type, whoever dials us, and the members they tell us of in their
hello (peer exchange, up to GH_CACHE_P2P_MAX_PEERS connections dialled; at most
GH_CACHE_P2P_MAX_INBOUND accepted, see `inbound`), and through circuit relays for runners nothing
can dial (`relay`). Only members, peers that proved
they hold the namespace secret (`members`), are asked anything or answered anything but a hello.
GossipSub carries sealed announcements and tombstones, which are only hints: data always comes
over the `/ghcache/1.2.0` request/response protocol and is verified by the caller before use.
Connections stay open and so do the streams of that protocol: a request reuses an idle stream
to its peer when there is one. No DHT: a lookup asks the peers that announced a key and the key's
home, never searches, so it keeps its deadline however many peers there are.
"""

from __future__ import annotations

import logging
import os
import time
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
from libp2p.network.config import RetryConfig
from libp2p.network.swarm import Swarm
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID as GOSSIPSUB_PROTOCOL_ID
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.tools.anyio_service import background_trio_service

from . import protocol, sessions
from .hints import Hints
from .inbound import InboundCap, TrimOnConnect
from .members import HELLO, HELLO_REPLY, Hello, Members, new_nonce
from .relay import Relaying, is_circuit, parse_relays
from .settings import DaemonSettings
from .sharing import Rejected, Sharing

log = logging.getLogger(__name__)
T = TypeVar("T")
PEER_PROTOCOL = TProtocol(protocol.PEER_PROTOCOL)
FANOUT = 4  # peers asked at once for one key at most: hinted ones first, then...
RANKED_ASKED = 2  # ...the key's home and the runner-up (the home in a view that lacks one member)
KEEP_INTERVAL = 1.0  # seconds between rounds of greeting new peers, dialling and pruning
REDIAL_INTERVAL = 5.0  # an address (bootstrap or exchanged) is dialled at most this often
GREET_INTERVAL = 10.0  # every connected peer is greeted this often: members refresh what they exchange,
# and a peer whose hello failed (a slow start, or a stranger) gets another chance
DIAL_TIMEOUT = 5.0
HELLO_TIMEOUT = 5.0
STREAMS_PER_PEER = 4  # idle streams kept per peer; busier moments open extra ones and close them after
STREAM_IDLE = 120.0  # a kept stream unused this long is closed by the asking side...
SERVE_IDLE = 2 * STREAM_IDLE  # ...and one silent this long by the serving side
MAX_INBOUND = 128  # streams we serve at once, over all peers
MAX_STRANGER_BODY = 16 * 1024  # a peer that is not (yet) a member can send us a hello, nothing bigger
CLEANUP_TIMEOUT = 1.0  # to reset or close a stream, even when the request was cancelled

OpenStream = Callable[[ID], Awaitable[INetStream]]
Handler = Callable[[protocol.Message, str], Awaitable[protocol.Message]]  # request, member's peer id -> reply
Tombstone = Callable[[bytes, str], Awaitable[None]]  # a sealed tombstone and who passed it on


def open_pointer(sharing: Sharing, wire_key: str, sealed: bytes) -> protocol.Pointer:
    """The pointer inside a sealed announcement; Rejected unless it is ours and names this key."""
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
    error, timeout or cancellation resets it, so a late reply can never answer the next request.
    Resets happen in `cleanup`, off the reply path: a lookup that has its answer does not wait for
    the streams it no longer needs."""

    def __init__(self, open_stream: OpenStream, cleanup: trio.Nursery) -> None:
        self.open_stream, self.cleanup = open_stream, cleanup
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
            self.cleanup.start_soon(_end, stream, True)
            raise
        kept = self.idle.setdefault(peer, [])
        if len(kept) < STREAMS_PER_PEER:
            kept.append((stream, trio.current_time()))
        else:
            self.cleanup.start_soon(_end, stream, False)
        return reply

    async def close_idle(self, connected: set[ID]) -> None:
        """Close streams unused for STREAM_IDLE (before the peer drops them), and forget gone peers."""
        oldest = trio.current_time() - STREAM_IDLE
        for peer, kept in list(self.idle.items()):
            gone = peer not in connected
            self.idle[peer] = [(stream, since) for stream, since in kept if since > oldest and not gone]
            for stream, since in kept:
                if since <= oldest or gone:
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


Answer = Callable[[protocol.Message], Awaitable[protocol.Message]]


async def serve_stream(stream: INetStream, answer: Answer, max_body: Callable[[], int]) -> None:
    """Answer requests on one stream, one after another, until the peer closes it or leaves it idle."""
    try:
        while await _serve_one(stream, answer, max_body()):  # bounded: each request comes within SERVE_IDLE
            pass
    except Exception as error:  # the peer closed the stream, went away or sent junk
        log.debug("serving a stream: %s", error)
        await _end(stream, reset=True)
        return
    await _end(stream)


async def _serve_one(stream: INetStream, answer: Answer, max_body: int) -> bool:
    """Read one request and answer it; False if none came within SERVE_IDLE."""
    served = False
    with trio.move_on_after(SERVE_IDLE):
        request = await protocol.read_message(stream.read, max_body)
        await stream.write((await answer(request)).encode())
        served = True
    return served


class PeerNet:
    """A running host; build it with `start`."""

    def __init__(
        self,
        host: IHost,
        pubsub: Pubsub,
        sharing: Sharing,
        settings: DaemonSettings,
        hints: Hints,
        nursery: trio.Nursery,
    ) -> None:
        self.host, self.pubsub, self.sharing, self.hints, self.nursery = host, pubsub, sharing, hints, nursery
        self.max_peers = settings.max_peers
        self.streams = Streams(lambda peer: host.new_stream(peer, [PEER_PROTOCOL]), nursery)
        self.listening = bool(settings.listen)  # reachable directly; through a relay once it holds a slot
        self.members = Members(self.peer_id, reachable=self.listening)
        self.useful: dict[str, float] = {}  # member -> when it last asked or answered us (the cap keeps these)
        self.relaying: Relaying | None = None  # GH_CACHE_P2P_RELAY / _RELAY_SERVICE, set by `start`
        self.cap: InboundCap | None = None
        self.handler: Handler | None = None  # the daemon's answers to members' requests
        self.greeted: dict[str, float] = {}  # peer -> when we last sent it a hello
        self.dialled: dict[str, float] = {}  # address -> when we last dialled it

    @property
    def peer_id(self) -> str:
        return self.host.get_id().to_string()

    def addresses(self) -> list[str]:
        """Our dialable addresses as `.../p2p/<id>`, then `/p2p-circuit` ones through the relays that
        hold a slot for us (none when we listen nowhere and hold no slot)."""
        relayed = self.relaying.circuit_addrs(self.peer_id) if self.relaying else []
        if not self.listening:
            return relayed
        direct = [f"{addr}/p2p/{self.peer_id}" for addr in self.host.get_addrs() if "/p2p/" not in str(addr)]
        return (direct or [str(addr) for addr in self.host.get_addrs()]) + relayed

    def connected(self) -> list[str]:
        return [peer.to_string() for peer in self.host.get_connected_peers()]

    def member_ids(self) -> list[str]:
        connected = set(self.connected())
        return [peer for peer in self.members.verified if peer in connected]

    def present(self, peer: str) -> bool:
        """Whether `peer` ("" for us) is a member we are connected to."""
        return not peer or peer in self.member_ids()

    def ranked(self, wire_key: str) -> list[str]:
        """Who is home to `wire_key` ("" for us), then the runners-up."""
        return self.members.ranked(wire_key, set(self.connected()))

    async def request(self, peer: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
        """One request to a member and its reply; None if it fails or takes longer than `timeout`."""
        with trio.move_on_after(timeout):
            try:
                reply = await self.streams.request(ID.from_base58(peer), message.encode())
                self.useful[peer] = time.monotonic()
                return reply
            except Exception as error:  # libp2p raises many types for a peer that is down or rude
                log.debug("peer %s: %s", peer, error)
        return None

    async def fetch(self, wire_key: str, accept: Callable[[bytes], T | None], timeout: float) -> T | None:
        """The first sealed entry a member sends that `accept` takes, asking at most FANOUT of them
        at once: those that announced it, then its home and the runner-up (every entry is stored at
        its home, so a cold miss costs two requests however big the mesh). The first valid one
        wins and the rest are cancelled; junk and failures are skipped."""
        members = set(self.member_ids())
        hinted = [peer for peer in self.hints.holders.get(wire_key, ()) if peer in members][: FANOUT - 1]
        ranked = [peer for peer in self.ranked(wire_key) if peer][:RANKED_ASKED]
        chosen = list(dict.fromkeys([*hinted, *ranked]))[:FANOUT]
        results: list[T] = []
        request = protocol.peer_get(wire_key)

        async def ask(peer: str, cancel: trio.CancelScope) -> None:
            reply = await self.request(peer, request, timeout)
            if reply is not None and reply.op == protocol.FOUND:
                accepted = accept(reply.body)
                if accepted is not None and not results:
                    results.append(accepted)
                    cancel.cancel()

        with trio.move_on_after(timeout):
            async with trio.open_nursery() as nursery:
                for peer in chosen:
                    nursery.start_soon(ask, peer, nursery.cancel_scope)
        return results[0] if results else None

    async def announce(self, pointer: protocol.Pointer) -> None:
        """Tell the namespace we hold an entry: a sealed gossip hint (data still comes by request)."""
        sealed = self.sharing.seal(pointer.key, pointer.to_bytes())
        await self.pubsub.publish(
            self.sharing.topic, protocol.Message(protocol.ANNOUNCE, {"key": pointer.key}, sealed).encode()
        )

    async def spread(self, message: protocol.Message, timeout: float, skip: str = "") -> None:
        """Send `message` to every connected member but `skip`, at once, each within `timeout`."""
        async with trio.open_nursery() as nursery:
            for peer in self.member_ids():
                if peer != skip:
                    nursery.start_soon(self.request, peer, message, timeout)

    async def gossip(self, message: protocol.Message) -> None:
        await self.pubsub.publish(self.sharing.topic, message.encode())

    async def listen_gossip(self, on_tombstone: Tombstone, on_reject: Callable[[], None]) -> None:
        """Announcements become hints (who to ask first, where on IPFS); tombstones go to the daemon."""
        subscription = await self.pubsub.subscribe(self.sharing.topic)
        while True:
            message = await subscription.get()
            sender = ID(message.from_id).to_string()
            try:
                gossiped = protocol.Message.decode(message.data)
                if gossiped.op == protocol.TOMBSTONE:
                    await on_tombstone(gossiped.body, sender)
                    continue
                pointer = open_pointer(self.sharing, str(gossiped.fields.get("key", "")), gossiped.body)
            except (protocol.BadMessage, Rejected):
                on_reject()
                continue
            self.hints.add(pointer, sender)

    # -- serving --------------------------------------------------------------------------------------
    async def answer(self, request: protocol.Message, peer: str) -> protocol.Message:
        """A hello from anyone; anything else from members only."""
        if request.op == protocol.PEER_HELLO:
            return self._greet_back(request, peer)
        if peer not in self.members.verified or self.handler is None:
            return protocol.error("not a member")
        self.useful[peer] = time.monotonic()
        return await self.handler(request, peer)

    def _greet_back(self, request: protocol.Message, peer: str) -> protocol.Message:
        try:
            hello = Hello.open(self.sharing, HELLO, request.body, peer, self.peer_id)
        except Rejected:
            return protocol.error("not a member")
        self.members.admit(peer, hello, time.time())
        reply = Hello(
            self.peer_id, peer, hello.nonce, self.addresses(), self.members.reachable, self.members.exchange()
        )
        return protocol.ok(reply.seal(self.sharing, HELLO_REPLY))

    def is_member(self, peer: str) -> bool:
        return peer in self.members.verified

    def last_useful(self, peer: str) -> float:
        return self.useful.get(peer, 0.0)

    def inbound(self) -> int:
        """Inbound connections we keep (at most GH_CACHE_P2P_MAX_INBOUND)."""
        return len(self.cap.inbound()) if self.cap else 0

    def max_body(self, peer: str) -> int:
        return protocol.MAX_BODY if peer in self.members.verified else MAX_STRANGER_BODY

    # -- the mesh -------------------------------------------------------------------------------------
    async def greet(self, peer: str) -> bool:
        """Prove our membership to `peer` and check its proof; True if it is a member now."""
        nonce = new_nonce()
        hello = Hello(self.peer_id, peer, nonce, self.addresses(), self.members.reachable, self.members.exchange())
        reply = await self.request(
            peer, protocol.Message(protocol.PEER_HELLO, {}, hello.seal(self.sharing, HELLO)), HELLO_TIMEOUT
        )
        if reply is None or reply.op != protocol.OK:
            return False
        try:
            answer = Hello.open(self.sharing, HELLO_REPLY, reply.body, peer, self.peer_id)
        except Rejected:
            return False
        if answer.nonce != nonce:
            return False
        self.members.admit(peer, answer, time.time())
        return True

    async def keep_connected(self, bootstrap: Sequence[PeerInfo]) -> None:
        """Greet new peers, redial bootstrap peers and remembered members that dropped (a healed
        partition reconnects), dial exchanged addresses up to the connection cap, and prune."""
        while True:
            self._keep_round(bootstrap)
            await self.streams.close_idle(set(self.host.get_connected_peers()))
            if self.cap is not None:
                await self.cap.trim()
            await trio.sleep(KEEP_INTERVAL)

    def _keep_round(self, bootstrap: Sequence[PeerInfo]) -> None:
        now, clock = time.time(), trio.current_time()
        connected = set(self.connected())
        for peer in list(self.members.verified):
            if peer not in connected:
                self.members.forget(peer)
        self.greeted = {peer: since for peer, since in self.greeted.items() if peer in connected}
        self.useful = {peer: since for peer, since in self.useful.items() if peer in connected}
        if self.relaying is not None:
            self.relaying.drop_gone(connected)
            for relay in self.relaying.due(connected):
                self.nursery.start_soon(self._reserve, relay)
            self.members.reachable = bool(self.addresses())
        for peer in connected:
            if self.greeted.get(peer, float("-inf")) < clock - GREET_INTERVAL:
                self.greeted[peer] = clock
                self.nursery.start_soon(self.greet, peer)
        self.dialled = {addr: since for addr, since in self.dialled.items() if since > clock - REDIAL_INTERVAL}
        room = self.max_peers - len(connected)
        wanted = [(info.peer_id.to_string(), info) for info in bootstrap]  # bootstrap peers: always
        for addr, (peer, _seen) in self.members.known.items():
            if len(wanted) - len(bootstrap) >= room:
                break
            if peer not in connected and addr not in self.dialled:
                try:
                    wanted.append((addr, info_from_p2p_addr(multiaddr.Multiaddr(addr))))
                except Exception as error:  # multiaddr raises many types for a bad address
                    log.debug("exchanged address %s: %s", addr, error)
        for name, info in wanted:
            if info.peer_id.to_string() not in connected and name not in self.dialled:
                self.dialled[name] = clock
                self.nursery.start_soon(self._dial, info, name)
        self.hints.prune(now)
        self.members.prune(now)

    async def _reserve(self, relay: str) -> None:
        """A slot at `relay`; once we hold one, members hear our new address at once (a fresh hello)."""
        assert self.relaying is not None
        had = set(self.addresses())
        await self.relaying.reserve(relay)
        self.members.reachable = bool(self.addresses())
        if set(self.addresses()) != had:
            for peer in self.member_ids():
                self.greeted[peer] = trio.current_time()
                self.nursery.start_soon(self.greet, peer)

    async def _dial(self, info: PeerInfo, addr: str = "") -> None:
        """Dial a peer: directly, or through its relay for a `/p2p-circuit` address."""
        network = self.host.get_network()
        if isinstance(network, Swarm):  # libp2p would refuse to redial for 60 s after a failure, which keeps
            network.unblock_peer(info.peer_id)  # a healed partition apart; REDIAL_INTERVAL paces us instead
        with trio.move_on_after(DIAL_TIMEOUT):
            try:
                if is_circuit(addr) and self.relaying is not None:
                    await self.relaying.dial(addr)
                else:
                    await self.host.connect(info)
            except Exception as error:  # libp2p raises many types for a peer that is down
                log.info("dialling %s: %s", info.peer_id, error)


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
    one dead peer would eat IPFS's share of it; `keep_connected` redials bootstrap peers anyway.
    Session writes are made whole (`sessions`): a cancelled request must not break the connection."""
    sessions.guard()
    noise = NoiseTransport(key_pair, noise_privkey=create_noise_key_pair().private_key)
    host = new_host(
        key_pair=key_pair,
        sec_opt={NOISE_PROTOCOL_ID: noise},
        muxer_preference="YAMUX",
        listen_addrs=[multiaddr.Multiaddr(addr) for addr in settings.listen],
    )
    network = host.get_network()
    if isinstance(network, Swarm):  # what new_host builds; the INetworkService interface has no retry knob
        network.retry_config = RetryConfig(max_retries=0)
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


def _peer_handler(net: PeerNet) -> Callable[[INetStream], Awaitable[None]]:
    """Serves each inbound request stream, at most MAX_INBOUND at once (more are reset)."""
    limit = trio.Semaphore(MAX_INBOUND)

    async def handle(stream: INetStream) -> None:
        try:
            limit.acquire_nowait()
        except trio.WouldBlock:
            await _end(stream, reset=True)
            return
        peer = stream.muxed_conn.peer_id.to_string()
        try:
            await serve_stream(stream, lambda request: net.answer(request, peer), lambda: net.max_body(peer))
        finally:
            limit.release()

    return handle


@asynccontextmanager
async def start(settings: DaemonSettings, sharing: Sharing, state_dir: str, hints: Hints) -> AsyncIterator[PeerNet]:
    """Run the host, pubsub and our protocol until the block exits; set `handler` on the PeerNet
    to answer members' requests."""
    relays = parse_relays(settings.relays)
    bootstrap = parse_bootstrap(settings.bootstrap)
    bootstrap += [info for info in relays if info.peer_id not in {seed.peer_id for seed in bootstrap}]
    key_pair = _identity(state_dir)
    host = _new_host(settings, key_pair)
    listen = [multiaddr.Multiaddr(addr) for addr in settings.listen]
    async with host.run(listen_addrs=listen):
        gossipsub = _gossipsub()
        pubsub = Pubsub(host, gossipsub)
        async with background_trio_service(pubsub), background_trio_service(gossipsub):
            await pubsub.wait_until_ready()
            async with trio.open_nursery() as nursery:
                net = PeerNet(host, pubsub, sharing, settings, hints, nursery)
                host.set_stream_handler(PEER_PROTOCOL, _peer_handler(net))
                network = host.get_network()
                if isinstance(network, Swarm):  # what new_host builds
                    net.cap = InboundCap(network, settings.max_inbound, net.is_member, net.last_useful)
                    network.register_notifee(TrimOnConnect(net.cap, nursery))
                async with _relaying(net, relays, settings):
                    nursery.start_soon(net.keep_connected, bootstrap)
                    if settings.mdns:
                        from .mdns import discover

                        nursery.start_soon(discover, host, sharing.mdns_service, settings.mdns_interfaces)
                    yield net
                    nursery.cancel_scope.cancel()


@asynccontextmanager
async def _relaying(net: PeerNet, relays: list[PeerInfo], settings: DaemonSettings) -> AsyncIterator[None]:
    """The circuit relay protocol (`relay` explains it): every daemon can dial a runner through its
    relay; one with GH_CACHE_P2P_RELAY also reserves slots, one with the relay service relays."""
    net.relaying = Relaying(net.host, relays, settings.relay_service, settings.max_inbound, net.is_member)
    async with background_trio_service(net.relaying.protocol):
        await net.relaying.protocol.event_started.wait()
        net.relaying.install()
        yield


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
