"""The daemon: answers the shim on a Unix socket (mode 0600) and works the network tiers for it.

A lookup tries this daemon's own shelf, then peers over libp2p, then IPFS by a hinted CID, all
under the deadline the shim sent. Every entry from elsewhere is opened (AES-GCM: authentic and
ours), checksummed (the entry format) and checked for expiry against the caller's clock before
it is served; failures are counted as "reject <tier>" / "expired <tier>" in the stats log.
A put is acknowledged at once and shared afterwards: the shim never waits on the network.
The shelf is capped like the local tier (GH_CACHE_MAX_SIZE, least recently used out first), and
what leaves it, by eviction or expiry, is unpinned on IPFS if we pinned it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from contextlib import AsyncExitStack

import trio

from .. import config, stats
from ..entry import CorruptEntry, Entry
from . import protocol
from .control import PID_NAME
from .ipfs import ContentStore, HttpIpfs, IpfsUnavailable
from .settings import DaemonSettings
from .sharing import Rejected, Sharing
from .shelf import Shelf, valid_wire_key

log = logging.getLogger(__name__)
READ_TIMEOUT = 5.0  # a local client that sends nothing for this long is dropped
MAX_LOOKUP = 10.0  # no caller deadline is honoured beyond this
PEER_SHARE = 0.5  # of a lookup's deadline for peers when IPFS is there to try next
SHARE_TIMEOUT = 30.0  # IPFS add + announcements of one entry
PRUNE_INTERVAL = 60.0
UNPIN_TIMEOUT = 5.0


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Daemon:
    """The tier logic, independent of sockets: lookup, share, and serving peers."""

    def __init__(
        self, cache_dir: str, sharing: Sharing, ipfs: ContentStore | None, max_size: int = config.DEFAULT_MAX_SIZE
    ) -> None:
        self.cache_dir, self.sharing, self.ipfs, self.max_size = cache_dir, sharing, ipfs, max_size
        self.shelf = Shelf(cache_dir)
        self.net = None  # a p2p.PeerNet once the host runs
        self.hints: dict[str, protocol.Pointer] = {}  # wire key -> latest verified announcement
        self.arrived: list[tuple[bytes, protocol.Pointer]] = []  # fetched entries to shelve after the reply
        self.unpins: list[str] = []  # CIDs of entries we pinned that left the shelf

    def count(self, event: str, tier: str) -> None:
        stats.record(self.cache_dir, event, tier)

    def open_entry(self, wire_key: str, sealed: bytes, now: float, tier: str) -> bytes | None:
        """The plain entry if it is ours, intact and fresh at `now`; anything else is counted and dropped."""
        try:
            plain = self.sharing.open(wire_key, sealed)
            entry = Entry.from_bytes(plain)
        except (Rejected, CorruptEntry):
            self.count("reject", tier)
            return None
        if not entry.fresh(now):
            self.count("expired", tier)
            return None
        return plain

    async def lookup(self, key: str, now: float, timeout: float) -> tuple[bytes, str] | None:
        wire_key = self.sharing.wire_key(key)
        sealed = self.shelf.blob(wire_key)
        plain = self.open_entry(wire_key, sealed, now, "daemon") if sealed is not None else None
        if plain is not None:
            return plain, "daemon"
        timeout = min(timeout, MAX_LOOKUP)
        with trio.move_on_after(timeout):
            if self.net is not None:  # a dead peer must not eat IPFS's share of the deadline
                peer_time = timeout * PEER_SHARE if self.ipfs is not None else timeout
                plain = await self.net.fetch(wire_key, self._keeper(wire_key, now, "peer"), peer_time)
                if plain is not None:
                    return plain, "peer"
            if self.ipfs is not None:
                plain = await self._from_ipfs(wire_key, now)
                if plain is not None:
                    return plain, "ipfs"
        return None

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

    async def _from_ipfs(self, wire_key: str, now: float) -> bytes | None:
        pointer = self.hints.get(wire_key)
        if pointer is None and self.net is not None:
            try:
                pointer = await self.net.find_pointer(wire_key)
            except Rejected:
                self.count("reject", "ipfs")
        if pointer is None or not pointer.cid or pointer.expires <= now:
            return None
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
        """Seal, shelve, pin on IPFS and announce an entry the local shim fetched from GitHub."""
        entry = Entry.from_bytes(plain)
        wire_key = self.sharing.wire_key(key)
        sealed = self.sharing.seal(wire_key, plain)
        pointer = protocol.Pointer(wire_key, entry.expires, len(sealed), _sha256(sealed), "", self.peer_id)
        self.shelve(sealed, pointer)
        self.count("share", "daemon")
        with trio.move_on_after(SHARE_TIMEOUT):
            if self.ipfs is not None:
                try:
                    pointer = pointer.with_cid(await self.ipfs.add(sealed))
                    self.shelf.set_pointer(pointer)
                except IpfsUnavailable as error:
                    log.info("ipfs: %s", error)
            if self.net is not None:
                await self.net.announce(pointer)
        await self.unpin_removed()

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

    async def serve_peer(self, wire_key: str) -> bytes | None:
        """What a peer may have: only blobs we hold under a well-formed key and not yet expired."""
        if not valid_wire_key(wire_key):
            return None
        pointer = self.shelf.pointer(wire_key)
        if pointer is None or pointer.expires <= time.time():
            return None
        return self.shelf.blob(wire_key)

    def hear(self, pointer: protocol.Pointer) -> None:
        self.hints[pointer.key] = pointer

    async def prune(self) -> None:
        """Expired entries leave the shelf and are unpinned on IPFS, as are evicted ones; stale
        hints are forgotten."""
        now = time.time()
        for pointer in self.shelf.pointers():
            if pointer.expires <= now:
                self.shelf.delete(pointer.key)
                if pointer.cid:
                    self.unpins.append(pointer.cid)
        await self.unpin_removed()
        self.hints = {key: hint for key, hint in self.hints.items() if hint.expires > now}


class LocalServer:
    """The Unix socket side: one request per connection, framed as in `protocol`."""

    def __init__(self, daemon: Daemon, nursery: trio.Nursery, stopping: trio.Event) -> None:
        self.daemon, self.nursery, self.stopping = daemon, nursery, stopping

    async def handle(self, stream: trio.SocketStream) -> None:
        async with stream:
            try:
                with trio.fail_after(READ_TIMEOUT):
                    message = await protocol.read_message(stream.receive_some)
                reply = await self.answer(message)
                await stream.send_all(reply.encode())
            except (trio.TooSlowError, trio.BrokenResourceError, protocol.BadMessage, OSError) as error:
                log.debug("local client: %s", error)  # the shim gave up (its deadline) or sent junk
        await self.daemon.settle()

    async def answer(self, message: protocol.Message) -> protocol.Message:
        fields = message.fields
        if message.op == protocol.GET:
            now, timeout_ms = _number(fields, "now", time.time()), _number(fields, "timeout_ms", 0.0)
            found = await self.daemon.lookup(fields.get("key", ""), now, timeout_ms / 1000)
            return protocol.found(found[0], found[1]) if found else protocol.missing()
        if message.op == protocol.PUT:
            self.nursery.start_soon(self._share, fields.get("key", ""), message.body)
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

    def status(self) -> dict:
        net = self.daemon.net
        return {
            "pid": os.getpid(),
            "namespace": self.daemon.sharing.namespace,
            "peer_id": self.daemon.peer_id,
            "addresses": net.addresses() if net else [],
            "peers": net.connected() if net else [],
            "ipfs": self.daemon.ipfs is not None,
            "shared_entries": len(self.daemon.shelf.pointers()),
            "hints": len(self.daemon.hints),
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


async def _prune_forever(daemon: Daemon) -> None:
    while True:
        await daemon.prune()
        await trio.sleep(PRUNE_INTERVAL)


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
    daemon = Daemon(cache_dir, sharing, ipfs, settings.max_size)
    stopping = trio.Event()
    async with AsyncExitStack() as stack:
        if settings.p2p:
            from . import p2p

            daemon.net = await stack.enter_async_context(
                p2p.start(settings, sharing, os.path.join(cache_dir, "daemon"), daemon.serve_peer)
            )
        async with trio.open_nursery() as nursery:
            if daemon.net is not None:
                nursery.start_soon(daemon.net.listen_for_hints, daemon.hear, lambda: daemon.count("reject", "gossip"))
            listener = await _unix_listener(socket_path)
            nursery.start_soon(trio.serve_listeners, LocalServer(daemon, nursery, stopping).handle, [listener])
            nursery.start_soon(_prune_forever, daemon)
            _write_pid(cache_dir)
            try:
                await _until_stopped(stopping)
            finally:
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
