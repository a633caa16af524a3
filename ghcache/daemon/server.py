"""The daemon: answers the shim on a Unix socket (mode 0600) and works the network tiers for it.

A lookup tries this daemon's own shelf, then peers over libp2p, then IPFS by a hinted CID, all
under the deadline the shim sent; after a miss the shim claims the key's lease (`leases`). Every
entry from elsewhere is opened (AES-GCM: authentic and ours), checksummed (the entry format) and
checked for expiry against the caller's clock and for later writes (tombstones) before it is
served; failures are counted as "reject <tier>" / "expired <tier>" / "stale <tier>" in the stats
log, and copies that a write we may have missed could have made stale (while we catch up after a
restart or a partition, `tombstones`) as "unverified <tier>"; none of those is served to peers
either. A put is acknowledged at once and shared afterwards (its home gets a copy, its lease ends
with it): the shim never waits on the network. Members' requests are answered in `answer_peer`.
The shelf is capped like the local tier (GH_CACHE_MAX_SIZE, least recently used out first), and
what leaves it, by eviction or expiry, is unpinned on IPFS if we pinned it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from contextlib import AsyncExitStack

import trio

from .. import config, invalidation, stats
from ..entry import CorruptEntry, Entry
from . import pending, protocol, tombstones
from .files import PID_NAME, STATE_DIR
from .hints import Hints
from .ipfs import ContentStore, HttpIpfs, IpfsUnavailable
from .leases import HOLDER_CHECK, LEASE_TIME, Holdings, Leases
from .settings import DaemonSettings
from .sharing import Rejected, Sharing
from .shelf import Shelf, valid_wire_key
from .tombstones import Tombstone, Tombstones

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .p2p import PeerNet  # libp2p is imported only when the p2p tier is on

log = logging.getLogger(__name__)
READ_TIMEOUT = 5.0  # a local client that sends nothing for this long is dropped
MAX_LOOKUP = 10.0  # no caller deadline is honoured beyond this
PEER_SHARE = 0.5  # of a lookup's search time for peers when an announced IPFS copy is there to try next
CLAIM_TIMEOUT = 2.0  # for a key's home to answer a claim; past it, the shim fetches without a lease
SHARE_TIMEOUT = 30.0  # IPFS add + announcements of one entry
WAIT_MARGIN = 2.0  # a home answers a wait within its timeout; past this margin we stop asking
RELEASE_TIMEOUT = 5.0
TOMBSTONE_TIMEOUT = 5.0  # per member a tombstone is sent to
CATCHUP_WAIT = 5.0  # at start, for a bootstrap peer to hand us the writes we missed before we answer
CATCHUP_TRIES, CATCHUP_RETRY = 3, 0.5  # asking a member that joined, and the pause between tries
TICK = 1.0  # the clock watch that notices we were stopped
HEARTBEAT = 5.0  # how often the daemon records that it runs (a restart asks from the last one)
SYNC_EVERY = 2.0  # how often one member, in turn, is asked for recent tombstones we may lack
SETTLE_SHARE = 0.5  # of a lookup's time, to let a catch-up under way finish first
PRUNE_INTERVAL = 60.0
UNPIN_TIMEOUT = 5.0


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Daemon:
    """The tier logic, independent of sockets: lookup, leases, share, and serving peers."""

    def __init__(
        self,
        cache_dir: str,
        sharing: Sharing,
        ipfs: ContentStore | None,
        max_size: int = config.DEFAULT_MAX_SIZE,
        ttls: dict[str, float] | None = None,
    ) -> None:
        self.cache_dir, self.sharing, self.ipfs, self.max_size = cache_dir, sharing, ipfs, max_size
        keep = tombstones.retention(config.DEFAULT_TTLS if ttls is None else ttls)
        self.tombstones = Tombstones(cache_dir, os.path.join(cache_dir, STATE_DIR), sharing, keep, self.count)
        self.shelf = Shelf(cache_dir)
        self.net: PeerNet | None = None  # once the host runs
        self.hints = Hints()  # from the namespace's gossip
        self.leases = Leases(self.present)  # of the keys we are home to
        self.holdings = Holdings()  # leases our shims hold
        self.arrived: list[tuple[bytes, protocol.Pointer]] = []  # fetched entries to shelve after the reply
        self.unpins: list[str] = []  # CIDs of entries we pinned that left the shelf

    def count(self, event: str, tier: str) -> None:
        stats.record(self.cache_dir, event, tier)

    def present(self, peer: str) -> bool:
        return self.net.present(peer) if self.net is not None else not peer

    def home(self, wire_key: str) -> str:
        """The peer that grants `wire_key`'s lease and keeps a copy of its entry ("" for us)."""
        return self.net.ranked(wire_key)[0] if self.net is not None else ""

    def open_entry(self, wire_key: str, sealed: bytes, now: float, tier: str) -> bytes | None:
        """The plain entry if it is ours, intact, fresh at `now` and not older than a write that
        made it stale (ours or any peer's tombstone); anything else is counted and dropped."""
        try:
            plain = self.sharing.open(wire_key, sealed)
            entry = Entry.from_bytes(plain)
        except (Rejected, CorruptEntry):
            self.count("reject", tier)
            return None
        if not entry.fresh(now):
            self.count("expired", tier)
            return None
        doubt = self._doubt(entry)
        if doubt:
            self.count(doubt, tier)
            return None
        return plain

    def _doubt(self, entry: Entry) -> str:
        """Why a copy is not to be served: "stale" if a write we know of came after it was fetched,
        "unverified" if one we may have missed could have (`tombstones`); "" if neither."""
        try:
            info = json.loads(entry.info or b"{}")
            host, repo, data_class = str(info["host"]), str(info["repo"]), str(info.get("class") or "api")
        except (ValueError, KeyError, TypeError):  # an entry without its origin predates tombstones:
            return ""  # no write, heard or missed, can make it stale; expiry still bounds it
        if data_class in invalidation.NEVER_STALE:
            return ""
        if entry.created < invalidation.last_write(self.cache_dir, host, repo, data_class):
            return "stale"
        return "unverified" if self.tombstones.unverified(entry.created) else ""

    def _known_stale(self, wire_key: str, sealed: bytes) -> bool:
        """Whether a sealed copy we hold is one a tombstone we know (or a gap we are in) makes
        stale, so we must not hand it on; one that does not open is the receiver's to reject."""
        try:
            entry = Entry.from_bytes(self.sharing.open(wire_key, sealed))
        except (Rejected, CorruptEntry):
            return False
        return bool(self._doubt(entry))

    async def lookup(self, key: str, now: float, timeout: float) -> Found:
        """This daemon's shelf, then peers, then IPFS (with an announced CID), all within `timeout`."""
        settling = trio.current_time()
        await self.tombstones.settle(min(timeout, MAX_LOOKUP) * SETTLE_SHARE)  # a catch-up under way: its end
        timeout -= trio.current_time() - settling
        wire_key = self.sharing.wire_key(key)
        sealed = self.shelf.blob(wire_key)
        plain = self.open_entry(wire_key, sealed, now, "daemon") if sealed is not None else None
        if plain is not None:
            return Found(plain, "daemon")
        deadline = trio.current_time() + min(timeout, MAX_LOOKUP)
        hint = self.hints.pointers.get(wire_key)
        ipfs_pointer = hint if self.ipfs is not None and hint is not None and hint.cid and hint.expires > now else None
        if self.net is not None:
            left = deadline - trio.current_time()
            plain = await self.net.fetch(
                wire_key, self._keeper(wire_key, now, "peer"), left * PEER_SHARE if ipfs_pointer else left
            )
            if plain is not None:
                return Found(plain, "peer")
        if ipfs_pointer is not None:
            with trio.move_on_at(deadline):
                plain = await self._from_ipfs(wire_key, ipfs_pointer, now)
                if plain is not None:
                    return Found(plain, "ipfs")
        return Found(None, "")

    async def claim(self, key: str, now: float, timeout: float, pid: int) -> Found:
        """After a miss: the key's lease, claimed at its home (CLAIM_TIMEOUT at most). `granted`: the
        shim `pid` fetches; held by another runner: we wait, within `timeout` (LEASE_TIME at most),
        for the entry it stores at the home. The entry was fetched after the caller asked, so it is
        judged by the caller's clock `now` moved on by the time this took."""
        wire_key = self.sharing.wire_key(key)
        started = trio.current_time()
        timeout = min(timeout, LEASE_TIME)
        home = self.home(wire_key)
        sealed: bytes | None = None
        if not home:
            lease = self.leases.claim(wire_key, "")
            if lease == protocol.HELD:
                sealed = await self.leases.wait(wire_key, timeout) or self._shelved(wire_key)
        else:
            assert self.net is not None  # a home other than us is a member of our net
            reply = await self.net.request(home, protocol.peer_claim(wire_key), min(timeout, CLAIM_TIMEOUT))
            lease = reply.fields.get("lease", "") if reply is not None else ""  # no answer: fetch without one
            if reply is not None and reply.op == protocol.FOUND:  # stored there since we looked
                sealed = reply.body
            elif lease == protocol.HELD:
                left = timeout - (trio.current_time() - started)
                reply = await self.net.request(home, protocol.peer_wait(wire_key, left * 1000), left + WAIT_MARGIN)
                sealed = reply.body if reply is not None and reply.op == protocol.FOUND else None
        if lease == protocol.GRANTED:
            self.holdings.add(wire_key, home, pid)
            return Found(None, "", lease)
        took = trio.current_time() - started
        plain = self._keeper(wire_key, now + took, "peer")(sealed) if sealed is not None else None
        return Found(plain, "peer" if plain is not None else "", waited=took if lease == protocol.HELD else None)

    def _shelved(self, wire_key: str) -> bytes | None:
        """A sealed entry we hold and can hand on: one that has not expired."""
        pointer = self.shelf.pointer(wire_key)
        if pointer is None or pointer.expires <= time.time():
            return None
        sealed = self.shelf.blob(wire_key)
        return None if sealed is None or self._known_stale(wire_key, sealed) else sealed

    def _keeper(self, wire_key: str, now: float, tier: str) -> Callable[[bytes], bytes | None]:
        """Accepts a sealed entry from `tier` if it opens, and keeps it to shelve (`settle`), so we
        can serve it on."""

        def keep(sealed: bytes) -> bytes | None:
            plain = self.open_entry(wire_key, sealed, now, tier)
            if plain is not None:  # no CID: we did not pin it, so we must not unpin it either
                expires = Entry.from_bytes(plain).expires
                self.arrived.append(
                    (sealed, protocol.Pointer(wire_key, expires, len(sealed), _sha256(sealed), "", self.peer_id))
                )
            return plain

        return keep

    async def _from_ipfs(self, wire_key: str, pointer: protocol.Pointer, now: float) -> bytes | None:
        assert self.ipfs is not None
        try:
            sealed = await self.ipfs.cat(pointer.cid, pointer.size)
        except IpfsUnavailable as error:
            log.info("ipfs: %s", error)
            return None
        if _sha256(sealed) != pointer.sha256:
            self.count("reject", "ipfs")
            return None
        return self._keeper(wire_key, now, "ipfs")(sealed)

    @property
    def peer_id(self) -> str:
        return self.net.peer_id if self.net is not None else ""

    async def share(self, key: str, plain: bytes) -> None:
        """Seal and shelve an entry the local shim fetched from GitHub; end its lease with it (so
        waiters get it at once), leave a copy at the key's home, pin it on IPFS and announce it."""
        entry = Entry.from_bytes(plain)
        wire_key = self.sharing.wire_key(key)
        sealed = self.sharing.seal(wire_key, plain)
        pointer = protocol.Pointer(wire_key, entry.expires, len(sealed), _sha256(sealed), "", self.peer_id)
        self.shelve(sealed, pointer)
        self.count("share", "daemon")
        holding = self.holdings.take(wire_key)
        home = holding.home if holding is not None else self.home(wire_key)
        with trio.move_on_after(SHARE_TIMEOUT):
            if not home:
                self.leases.release(wire_key, "", sealed)
            elif self.net is not None:
                await self.net.request(home, protocol.peer_store(wire_key, sealed), SHARE_TIMEOUT)
            if self.ipfs is not None:
                try:
                    pointer = pointer.with_cid(await self.ipfs.add(sealed))
                    self.shelf.set_pointer(pointer)
                except IpfsUnavailable as error:
                    log.info("ipfs: %s", error)
            if self.net is not None:
                await self.net.announce(pointer)
        await self.unpin_removed()

    async def give_back_abandoned(self) -> None:
        """End the leases of shims that finished without an entry to share (gh failed, or the read
        is never cached) or died: their waiters fetch themselves now, not at LEASE_TIME."""
        for wire_key, holding in self.holdings.abandoned():
            if not holding.home:
                self.leases.release(wire_key, "", None)
            elif self.net is not None:
                await self.net.request(holding.home, protocol.peer_release(wire_key), RELEASE_TIMEOUT)

    def shelve(self, sealed: bytes, pointer: protocol.Pointer) -> None:
        """Keep a sealed entry to serve on, within GH_CACHE_MAX_SIZE: the least recently used go,
        and what we pinned of them is queued for unpinning."""
        self.shelf.put(sealed, pointer)
        for evicted in self.shelf.evict_to(self.max_size, keep=pointer.key):
            self.count("evict", "daemon")
            if evicted.cid:
                self.unpins.append(evicted.cid)

    async def settle(self) -> None:
        """The work a lookup leaves for after its reply (the shim does not wait for it): shelve
        what peers and IPFS sent, and unpin what that evicted."""
        arrived, self.arrived = self.arrived, []
        for sealed, pointer in arrived:
            try:
                self.shelve(sealed, pointer)
            except OSError as error:  # a full disk costs us the copy, not the answer
                log.warning("could not shelve an entry: %s", error)
        await self.unpin_removed()

    async def unpin_removed(self) -> None:
        """Let the IPFS node collect what left the shelf (evicted or expired); a node that is down
        keeps its pins."""
        unpins, self.unpins = self.unpins, []
        for cid in unpins:
            await self._unpin(cid)

    async def _unpin(self, cid: str) -> None:
        if self.ipfs is None:
            return
        with trio.move_on_after(UNPIN_TIMEOUT):
            try:
                await self.ipfs.unpin(cid)
            except IpfsUnavailable as error:
                log.info("ipfs: %s", error)

    # -- writes: tombstones across the namespace ----------------------------------------------------
    async def invalidate(self, tombstone: Tombstone) -> None:
        """Our shim recorded a write (its local tombstones are marked): tell the namespace."""
        if self.net is None:
            return
        sealed = self.tombstones.record(tombstone)
        with trio.move_on_after(SHARE_TIMEOUT):
            await self.net.spread(protocol.peer_tombstone(sealed), TOMBSTONE_TIMEOUT)
            await self.net.gossip(protocol.Message(protocol.TOMBSTONE, {}, sealed))

    async def hear_tombstone(self, sealed: bytes, sender: str) -> None:
        """A peer's tombstone: mark it here, and pass it on if it was news (so the flood ends)."""
        if self.tombstones.take(sealed) and self.net is not None:
            self.count("invalidate", "peer")
            await self._pass_on(sealed, sender)

    async def _pass_on(self, sealed: bytes, sender: str) -> None:
        assert self.net is not None
        with trio.move_on_after(SHARE_TIMEOUT):
            await self.net.spread(protocol.peer_tombstone(sealed), TOMBSTONE_TIMEOUT, skip=sender)

    async def catch_up(self, peer: str, left: float | None) -> None:
        """A member joined (again): ask it for the writes we may have missed since it left us, or
        since our gap opened; apply them, then pass on what was news to us."""
        assert self.net is not None
        since = self.tombstones.since_for(left)
        news = await self.tombstones.catch_up(self.net.request, peer, since)
        for _ in range(CATCHUP_TRIES - 1):  # a member that greeted us may not have checked our hello yet
            if news is not None or not self.net.present(peer):
                break
            await trio.sleep(CATCHUP_RETRY)
            news = await self.tombstones.catch_up(self.net.request, peer, since)
        for sealed in news or ():
            self.count("invalidate", "catchup")
            await self._pass_on(sealed, peer)

    async def sync(self, peer: str) -> None:
        """Anti-entropy with one member: take the recent tombstones we lack, pass them on."""
        assert self.net is not None
        for sealed in await self.tombstones.sync(self.net.request, peer, time.time()):
            self.count("invalidate", "sync")
            await self._pass_on(sealed, peer)

    async def watch_clock(self) -> None:
        """Notice that we were stopped (then catch up from every member), keep the heartbeat, and sync
        tombstones with one member in turn."""
        beaten = synced = float("-inf")
        turn = 0
        while True:
            now = time.time()
            if trio.current_time() - beaten >= HEARTBEAT:
                beaten = trio.current_time()
                self.tombstones.store.prune(now)
                await trio.to_thread.run_sync(self.tombstones.heartbeat, now)
            net = self.net
            members = sorted(net.member_ids()) if net is not None else []
            if net is not None and members and trio.current_time() - synced >= SYNC_EVERY:
                synced, turn = trio.current_time(), turn + 1
                net.nursery.start_soon(self.sync, members[turn % len(members)])
            before = time.time()
            await trio.sleep(TICK)
            if self.tombstones.slept(before, time.time()) and self.net is not None:
                for peer in self.net.member_ids():
                    self.net.nursery.start_soon(self.catch_up, peer, None)

    # -- serving peers ----------------------------------------------------------------------------------
    async def answer_peer(self, request: protocol.Message, peer: str) -> protocol.Message:
        """A member's request (the net has checked membership)."""
        wire_key = request.fields.get("key", "")
        if request.op == protocol.PEER_TOMBSTONES:
            return self.tombstones.answer(request)
        if request.op != protocol.PEER_TOMBSTONE and not valid_wire_key(wire_key):
            return protocol.error("bad key")
        if request.op == protocol.PEER_GET:
            sealed = self._shelved(wire_key)
            return protocol.found(sealed) if sealed is not None else protocol.missing()
        if request.op == protocol.PEER_CLAIM:
            sealed = self._shelved(wire_key)
            return protocol.found(sealed) if sealed is not None else protocol.missing(self.leases.claim(wire_key, peer))
        if request.op == protocol.PEER_WAIT:
            timeout = min(_number(request.fields, "timeout_ms", 0.0) / 1000, LEASE_TIME)
            sealed = await self.leases.wait(wire_key, timeout) or self._shelved(wire_key)
            return protocol.found(sealed) if sealed is not None else protocol.missing()
        if request.op == protocol.PEER_STORE:
            self._keep_home_copy(wire_key, request.body, peer)
            return protocol.ok()
        if request.op == protocol.PEER_RELEASE:
            self.leases.release(wire_key, peer, None)
            return protocol.ok()
        if request.op == protocol.PEER_TOMBSTONE:
            await self.hear_tombstone(request.body, peer)
            return protocol.ok()
        return protocol.error(f"unknown op {request.op}")

    def _keep_home_copy(self, wire_key: str, sealed: bytes, peer: str) -> None:
        """A member stored an entry at its home (us): keep it, and wake whoever waits for it."""
        plain = self.open_entry(wire_key, sealed, time.time(), "peer")
        if plain is None:
            self.leases.release(wire_key, peer, None)
            return
        pointer = protocol.Pointer(wire_key, Entry.from_bytes(plain).expires, len(sealed), _sha256(sealed), "", peer)
        try:
            self.shelve(sealed, pointer)
        except OSError as error:
            log.warning("could not shelve a peer's entry: %s", error)
        self.leases.release(wire_key, peer, sealed)

    async def prune(self) -> None:
        """Expired entries leave the shelf and are unpinned on IPFS, as are evicted ones."""
        now = time.time()
        for pointer in self.shelf.pointers():
            if pointer.expires <= now:
                self.shelf.delete(pointer.key)
                if pointer.cid:
                    self.unpins.append(pointer.cid)
        await self.unpin_removed()


class Found:
    """What a lookup ends with: the plain entry and the tier that had it, or none and the lease;
    after a claim, how long we waited for another runner's fetch (None: no one else held the lease)."""

    __slots__ = ("plain", "tier", "lease", "waited")

    def __init__(self, plain: bytes | None, tier: str, lease: str = "", waited: float | None = None) -> None:
        self.plain, self.tier, self.lease, self.waited = plain, tier, lease, waited


class LocalServer:
    """The Unix socket side: one request per connection, framed as in `protocol`."""

    def __init__(self, daemon: Daemon, nursery: trio.Nursery, stopping: trio.Event) -> None:
        self.daemon, self.nursery, self.stopping = daemon, nursery, stopping

    async def handle(self, stream: trio.SocketStream) -> None:
        async with stream:
            try:
                with trio.fail_after(READ_TIMEOUT):
                    message = await protocol.read_message(stream.receive_some)
                if message.fields.get("ack"):  # the shim waits longer for a daemon that has its request
                    await stream.send_all(protocol.ack().encode())
                reply = await self.answer(message)
                await stream.send_all(reply.encode())
            except (trio.TooSlowError, trio.BrokenResourceError, protocol.BadMessage, OSError) as error:
                log.debug("local client: %s", error)  # the shim gave up (its deadline) or sent junk
        await self.daemon.settle()

    async def answer(self, message: protocol.Message) -> protocol.Message:
        fields = message.fields
        if message.op in (protocol.GET, protocol.CLAIM):
            now, timeout = _number(fields, "now", time.time()), _number(fields, "timeout_ms", 0.0) / 1000
            key = fields.get("key", "")
            if message.op == protocol.CLAIM:
                found = await self.daemon.claim(key, now, timeout, int(_number(fields, "pid", 0)))
            else:
                found = await self.daemon.lookup(key, now, timeout)
            reply = (
                protocol.found(found.plain, found.tier) if found.plain is not None else protocol.missing(found.lease)
            )
            if found.waited is not None:
                reply.fields["waited_ms"] = f"{found.waited * 1000:.1f}"
            return reply
        if message.op == protocol.PUT:
            self.nursery.start_soon(self._share, fields.get("key", ""), message.body)
            return protocol.ok()
        if message.op == protocol.INVALIDATE:
            classes = tuple(name for name in fields.get("classes", "").split(",") if name)
            when = _number(fields, "time", time.time())
            tombstone = Tombstone(fields.get("host", ""), fields.get("repo", ""), classes, when)
            self.nursery.start_soon(self.daemon.invalidate, tombstone)
            return protocol.ok()
        if message.op == protocol.STATUS:
            return protocol.status_reply(self.status())
        if message.op == protocol.STOP:
            self.stopping.set()
            return protocol.ok()
        return protocol.error(f"unknown op {message.op}")

    async def _share(self, key: str, plain: bytes) -> None:
        try:
            await self.daemon.share(key, plain)
        except (CorruptEntry, OSError, KeyError) as error:
            log.warning("could not share an entry: %s", error)

    def status(self) -> dict[str, object]:
        net = self.daemon.net
        return {
            "pid": os.getpid(),
            "namespace": self.daemon.sharing.namespace,
            "peer_id": self.daemon.peer_id,
            "addresses": net.addresses() if net else [],
            "peers": net.connected() if net else [],
            "members": net.member_ids() if net else [],
            "inbound": net.inbound() if net else 0,  # connections others opened to us (capped)
            "ipfs": self.daemon.ipfs is not None,
            "shared_entries": len(self.daemon.shelf.pointers()),
            "hints": len(self.daemon.hints),
            "leases": len(self.daemon.leases.held),  # granted here, as a key's home
            "holdings": len(self.daemon.holdings.held),  # held by our shims
            **self.daemon.tombstones.status(),
        }


def _number(fields: dict[str, str], name: str, default: float) -> float:
    """A numeric field; junk is a bad message, which drops that client, not the daemon."""
    try:
        return float(fields[name]) if fields.get(name) else default
    except ValueError:
        raise protocol.BadMessage(f"{name} is not a number") from None


async def _unix_listener(path: str) -> trio.SocketListener:
    """Bound with a 0177 umask, so the socket is never connectable by others, not even briefly."""
    if os.path.exists(path):
        os.unlink(path)  # a stale socket of a dead daemon; the caller checked none answers
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    sock = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        await sock.bind(path)
    finally:
        os.umask(previous)
    os.chmod(path, 0o600)
    sock.listen(64)
    return trio.SocketListener(sock)


def _catch_up_on_joins(daemon: Daemon, net: PeerNet) -> None:
    """Every member that joins is asked for the writes we missed; losing the last one opens a gap."""
    net.members.on_join = lambda peer, left: net.nursery.start_soon(daemon.catch_up, peer, left)
    net.members.on_alone = lambda now: daemon.tombstones.open_gap(now, now)


async def _prune_forever(daemon: Daemon) -> None:
    while True:
        await daemon.prune()
        await trio.sleep(PRUNE_INTERVAL)


async def _watch_holdings(daemon: Daemon) -> None:
    while True:
        await daemon.give_back_abandoned()
        await trio.sleep(HOLDER_CHECK)


async def _until_stopped(stopping: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:

            async def on_signal() -> None:
                async for _ in signals:
                    stopping.set()

            nursery.start_soon(on_signal)
            await stopping.wait()
            nursery.cancel_scope.cancel()


async def serve(cache_dir: str, socket_path: str, settings: DaemonSettings, sharing: Sharing) -> None:
    """Run until `stop` or SIGTERM/SIGINT; the socket answers only once every tier is up."""
    ipfs = HttpIpfs(settings.ipfs_api, settings.ipfs_timeout) if settings.ipfs else None
    daemon = Daemon(cache_dir, sharing, ipfs, settings.max_size, config.load(os.environ).ttls)
    stopping = trio.Event()
    async with AsyncExitStack() as stack:
        if settings.p2p:
            from . import p2p

            daemon.net = await stack.enter_async_context(
                p2p.start(settings, sharing, os.path.join(cache_dir, STATE_DIR), daemon.hints)
            )
            daemon.net.handler = daemon.answer_peer
            _catch_up_on_joins(daemon, daemon.net)
        async with trio.open_nursery() as nursery:
            if daemon.net is not None:
                nursery.start_soon(
                    daemon.net.listen_gossip,
                    daemon.hear_tombstone,
                    lambda: daemon.count("reject", "gossip"),
                )
            nursery.start_soon(_watch_holdings, daemon)
            nursery.start_soon(daemon.watch_clock)
            if settings.bootstrap:  # answer once we know the writes we missed, or fail safe after the wait
                await daemon.tombstones.wait_at_start(CATCHUP_WAIT)
            for host, repo, classes, when in pending.drain(cache_dir):  # writes made while we were down
                nursery.start_soon(daemon.invalidate, Tombstone(host, repo, classes, when))
            listener = await _unix_listener(socket_path)
            nursery.start_soon(trio.serve_listeners, LocalServer(daemon, nursery, stopping).handle, [listener])
            nursery.start_soon(_prune_forever, daemon)
            _write_pid(cache_dir)
            try:
                await _until_stopped(stopping)
            finally:
                daemon.tombstones.heartbeat(time.time())  # a restart asks only for what it misses from now
                _remove(socket_path)
                _remove(os.path.join(cache_dir, PID_NAME))
                nursery.cancel_scope.cancel()


def _write_pid(cache_dir: str) -> None:
    from ..tiers.local import write_private_file

    write_private_file(os.path.join(cache_dir, PID_NAME), str(os.getpid()).encode())


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
