"""Write invalidation across the namespace: sealed tombstones, applied to the local ones.

A write through any runner's shim marks local tombstones (`ghcache.invalidation`) and hands the
same marks to its daemon, which seals them and sends them to the namespace: over gossip and
straight to every member it is connected to, which pass on what was news to them (a flood that
ends, since a mark only spreads while it is newer than what a daemon has). A daemon applies a
tombstone by marking its own cache dir's tombstones, so they are checked on use (by the shim for
local entries, by the daemon for shared ones) and survive restarts like any local write.

A daemon that was down, stopped or cut off while a write happened elsewhere missed that flood, so
it catches up (`Tombstones`): it keeps the sealed tombstones it knows, bounded, and asks each
member it (re)joins for those since it may have missed some; what comes back is opened and
applied exactly like gossip. Until one catch-up has succeeded, its shared copies from before the
gap are unverified and served to no one: a cache that is wrong is worse than none.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping

import trio

from .. import invalidation
from ..tiers.local import write_private_file
from . import protocol
from .sharing import Rejected, Sharing

log = logging.getLogger(__name__)
SEAL_CONTEXT = "tombstone"  # the associated data: a tombstone cannot pass for any other sealed blob
MAX_CLASSES = 32
MAX_FIELD = 256
MAX_FUTURE = 300.0  # a mark further ahead of our clock than this is refused: it would stale all for long
SKEW = MAX_FUTURE  # runners' clocks may differ this much, so a catch-up asks from this much earlier
MAX_STORED = 4096  # tombstones kept to answer catch-ups; the oldest go first
MAX_REPLY = 512  # tombstones in one catch-up reply, newest first...
MAX_REPLY_BYTES = 256 * 1024  # ...and their bytes
CATCHUP_TIMEOUT = 5.0  # for a member to answer a catch-up
SYNC_WINDOW = 120.0  # a sync asks a member for the tombstones of this last while (plus SKEW)
PAUSE_GAP = 5.0  # a one-second sleep this late means we were stopped (SIGSTOP, a suspended VM): catch up
ALIVE_NAME = "alive"  # in the daemon's state dir: when it last ran, so a restart asks only what it missed

Request = Callable[[str, protocol.Message, float], Awaitable[protocol.Message | None]]
Count = Callable[[str, str], None]


class Tombstone:
    """Reads of `classes` of `repo` on `host` fetched before `time` are stale."""

    __slots__ = ("host", "repo", "classes", "time")

    def __init__(self, host: str, repo: str, classes: tuple[str, ...], when: float) -> None:
        self.host, self.repo, self.classes, self.time = host, repo, classes, when

    def seal(self, sharing: Sharing) -> bytes:
        fields = {"host": self.host, "repo": self.repo, "classes": list(self.classes), "time": self.time}
        return sharing.seal(SEAL_CONTEXT, json.dumps(fields, separators=(",", ":")).encode())

    @classmethod
    def open(cls, sharing: Sharing, sealed: bytes, now: float | None = None) -> Tombstone:
        """The tombstone in a sealed blob; Rejected unless it is ours and well formed."""
        try:
            fields = json.loads(sharing.open(SEAL_CONTEXT, sealed))
            host, repo, classes, when = fields["host"], fields["repo"], fields["classes"], float(fields["time"])
        except (ValueError, KeyError, TypeError):
            raise Rejected("not a tombstone") from None
        texts = [host, repo, *classes] if isinstance(classes, list) else []
        if not texts or not all(isinstance(text, str) and 0 < len(text) <= MAX_FIELD for text in texts):
            raise Rejected("not a tombstone")
        if len(classes) > MAX_CLASSES or not when <= (time.time() if now is None else now) + MAX_FUTURE:
            raise Rejected("not a tombstone")
        return cls(host, repo, tuple(classes), when)

    def apply(self, cache_dir: str) -> bool:
        """Mark the classes this tombstone is news for; True if any was (then it is worth passing on)."""
        news = tuple(
            data_class
            for data_class in self.classes
            if invalidation.last_write(cache_dir, self.host, self.repo, data_class) < self.time
        )
        if news:
            invalidation.mark(cache_dir, self.host, (self.repo,), self.time)
        return bool(news)


def retention(ttls: Mapping[str, float]) -> float:
    """How long a tombstone matters: the longest TTL of a read it can make stale, plus clock skew.
    Past it every copy fetched before the write has expired (copies of longer-lived reads that
    peers send are doubted instead: see `Store.since`)."""
    return max((ttl for name, ttl in ttls.items() if name not in invalidation.NEVER_STALE), default=0.0) + SKEW


class Store:
    """The sealed tombstones we know, to hand to members that catch up: the newest per (host,
    repo, classes), for `retention` seconds, at most `cap`. What leaves moves the horizon, so a
    catch-up reaching back past it is told its answer is incomplete."""

    def __init__(self, retention: float, cap: int = MAX_STORED) -> None:
        self.retention, self.cap = retention, cap
        self.latest: dict[tuple[str, str, tuple[str, ...]], tuple[float, bytes]] = {}
        self.horizon = 0.0  # the newest tombstone we dropped

    def add(self, tombstone: Tombstone, sealed: bytes) -> None:
        key = (tombstone.host, tombstone.repo, tombstone.classes)
        known = self.latest.get(key)
        if known is not None and known[0] >= tombstone.time:
            return
        self.latest[key] = (tombstone.time, sealed)
        if len(self.latest) > self.cap:
            self._drop(sorted(self.latest, key=lambda name: self.latest[name][0])[: len(self.latest) - self.cap])

    def prune(self, now: float) -> None:
        self._drop([key for key, (when, _) in self.latest.items() if when < now - self.retention])

    def _drop(self, keys: list[tuple[str, str, tuple[str, ...]]]) -> None:
        for key in keys:
            self.horizon = max(self.horizon, self.latest.pop(key)[0])

    def since(self, since: float) -> tuple[list[bytes], float]:
        """Those of writes at or after `since`, newest first within MAX_REPLY and MAX_REPLY_BYTES,
        and the time before which the answer may be incomplete (0.0: it is complete)."""
        newest = sorted((item for item in self.latest.values() if item[0] >= since), key=lambda item: -item[0])
        chosen: list[bytes] = []
        size, complete_after = 0, self.horizon if self.horizon >= since else 0.0
        for when, sealed in newest:
            size += len(sealed) + 4
            if len(chosen) >= MAX_REPLY or size > MAX_REPLY_BYTES:
                return chosen, max(complete_after, when)
            chosen.append(sealed)
        return chosen, complete_after

    def __len__(self) -> int:
        return len(self.latest)


class Tombstones:
    """What this daemon knows of the namespace's writes, and whether it may have missed some.

    A gap opens when we may have missed tombstones: at start (from when we last ran; a daemon that
    never ran on this cache dir has no older copies and starts without one), when we lose our last
    member, and when our clock jumps (we were stopped). While a gap is open, shared copies created
    before it are unverified. A catch-up closes it if the member answering knows every write
    since before the gap (its own knowledge is complete since `synced_since`: a member that is in a
    gap itself, or came later, cannot vouch for what we missed). An answer cut at its bounds leaves
    copies from before the cut doubted for good (they expire with their TTL)."""

    def __init__(self, cache_dir: str, state_dir: str, sharing: Sharing, keep: float, count: Count) -> None:
        self.cache_dir, self.sharing, self.count = cache_dir, sharing, count
        self.alive_path = os.path.join(state_dir, ALIVE_NAME)
        self.store = Store(keep)
        now = time.time()
        self.started = now
        last_ran = _read_time(self.alive_path)
        self.missed_since = last_ran  # the open gap's start (None: no gap; 0.0: since ever)
        self.synced_since = now if last_ran is None else None  # we know every write since then
        self.unverified_before = 0.0 if last_ran is None else now  # copies created before: served to no one
        self.opened = now  # when the open gap opened (or last widened)
        self.doubt_before = 0.0  # copies created before this stay unverified (an incomplete catch-up)
        self.caught_up_after: float | None = None  # seconds from start to the first closed gap...
        self.caught_up_in: float | None = None  # ...and from asking to applying, for the answer that closed it
        self.caught_up = trio.Event()  # set when no gap is open at start, or the first one closes
        self.closed = trio.Event()  # set while no gap is open
        if last_ran is None:
            self.caught_up.set()
            self.closed.set()
        self.asking = 0  # catch-up requests under way
        self.answers = 0  # catch-up answers so far
        self.answered = trio.Event()  # set, and replaced, at every answer

    # -- what we know ----------------------------------------------------------------------------------
    def record(self, tombstone: Tombstone) -> bytes:
        """Our shim's write: sealed, and kept to hand to members that catch up."""
        sealed = tombstone.seal(self.sharing)
        self.store.add(tombstone, sealed)
        return sealed

    def take(self, sealed: bytes) -> bool:
        """A member's tombstone (gossip, flood or catch-up): opened, applied, kept; True if news."""
        try:
            tombstone = Tombstone.open(self.sharing, sealed)
        except Rejected:
            self.count("reject", "tombstone")
            return False
        try:
            news = tombstone.apply(self.cache_dir)
        except OSError as error:
            log.warning("could not record a peer's write: %s", error)
            return False
        self.store.add(tombstone, sealed)
        return news

    def unverified(self, created: float) -> bool:
        """Whether a shared copy created at `created` may be stale by a write we have not heard of."""
        return created < max(self.unverified_before, self.doubt_before)

    # -- gaps ------------------------------------------------------------------------------------------
    def open_gap(self, since: float, now: float) -> None:
        """We may have missed tombstones of writes since `since`: copies from before now are unverified."""
        self.missed_since = since if self.missed_since is None else min(self.missed_since, since)
        self.unverified_before = max(self.unverified_before, now)
        self.opened = now
        if self.closed.is_set():
            self.closed = trio.Event()

    async def settle(self, timeout: float) -> None:
        """Wait, at most `timeout`, for a catch-up under way to close the open gap: a lookup then
        judges copies by the writes it brings instead of refusing them as unverified."""
        if self.asking and not self.closed.is_set():
            with trio.move_on_after(timeout):
                await self.closed.wait()

    async def wait_at_start(self, timeout: float) -> None:
        """Wait, at most `timeout`, until the gap closes, or until the members that answered could
        not close it and no one else is being asked (when every member was away too, nothing will)."""
        with trio.move_on_after(timeout):
            while not self.closed.is_set() and not (self.answers and not self.asking):
                await self.answered.wait()

    def since_for(self, left: float | None) -> float:
        """Where a catch-up from a member asks from: when it left us (if it did), or the open gap's
        start, whichever is earlier, less the clock skew."""
        starts = [when for when in (left, self.missed_since) if when is not None]
        return max(min(starts, default=self.started) - SKEW, 0.0)

    def slept(self, before: float, after: float) -> bool:
        """The clock watch slept for about a second from `before` to `after`: True if it took so
        much longer that we were stopped meanwhile (then a gap is open and members are to be asked)."""
        paused = after - before > PAUSE_GAP
        if paused:
            self.open_gap(before, after)
        return paused

    def heartbeat(self, now: float) -> None:
        """Remember that we ran until now (a file write with fsync: run it off the event loop)."""
        try:
            write_private_file(self.alive_path, repr(now).encode())
        except OSError as error:  # a restart asks for more then; nothing is wrong
            log.info("could not record the heartbeat: %s", error)

    # -- catch-up --------------------------------------------------------------------------------------
    def answer(self, request: protocol.Message) -> protocol.Message:
        """A member's catch-up request."""
        try:
            since = float(request.fields.get("since") or 0.0)
        except ValueError:
            return protocol.error("since is not a number")
        sealed, complete_after = self.store.since(since)
        synced = self.synced_since if self.missed_since is None and self.synced_since is not None else math.inf
        return protocol.tombstones_reply(sealed, complete_after, synced)

    async def catch_up(self, request: Request, peer: str, since: float) -> list[bytes] | None:
        """Ask `peer` for the tombstones since `since` and apply them; returns those that were news
        (to pass on), or None if it did not answer. A gap that opened before we asked, from no
        earlier than `since`, closes if `peer` knows every write since then."""
        asked_at = time.time()
        self.asking += 1
        try:
            answer = await self._ask(request, peer, since)
        except protocol.BadMessage:
            self._answered()
            return None
        finally:
            self.asking -= 1
        if answer is None:  # gone, or it has not admitted us yet
            return None
        sealed, complete_after, synced_since = answer
        news = [blob for blob in sealed if self.take(blob)]
        log.info("caught up from %s: %d tombstones since %.0f, %d news", peer, len(sealed), since, len(news))
        if complete_after > since:  # beyond our clock is refused like a tombstone from the future
            self.doubt_before = max(self.doubt_before, min(complete_after, asked_at + MAX_FUTURE))
        gap = self.missed_since
        if gap is not None and since <= gap and synced_since <= gap and self.opened <= asked_at:
            self.missed_since, self.unverified_before = None, 0.0
            self.closed.set()
            if self.synced_since is None:  # what we know now begins where the answer's knowledge does
                self.synced_since = max(since, synced_since)
            if self.caught_up_after is None:
                self.caught_up_after, self.caught_up_in = time.time() - self.started, time.time() - asked_at
                self.caught_up.set()
        self.count("catchup", "peer")
        self._answered()
        return news

    async def sync(self, request: Request, peer: str, now: float) -> list[bytes]:
        """Anti-entropy: ask one member for the recent tombstones and apply those we lack; returns them.

        A tombstone sent while a connection broke, or gossiped past a mesh still forming, would
        otherwise be missed until the copies it makes stale expire; asking one member every few seconds
        bounds that. Only news is taken: unlike a catch-up, a sync says nothing about gaps."""
        try:
            answer = await self._ask(request, peer, now - SYNC_WINDOW - SKEW)
        except protocol.BadMessage:
            return []
        return [blob for blob in answer[0] if self.take(blob)] if answer is not None else []

    async def _ask(self, request: Request, peer: str, since: float) -> tuple[list[bytes], float, float] | None:
        """`peer`'s tombstones since `since`, with the bounds of its knowledge; None if it did not answer
        (gone, or it has not admitted us yet). A malformed answer is counted and raises BadMessage."""
        reply = await request(peer, protocol.peer_tombstones(since), CATCHUP_TIMEOUT)
        if reply is None or reply.op == protocol.ERROR:
            return None
        try:
            return protocol.read_tombstones(reply, MAX_REPLY)
        except protocol.BadMessage:
            self.count("reject", "catchup")
            raise

    def _answered(self) -> None:
        """A member answered a catch-up (whether or not it closed the gap): wake `wait_at_start`."""
        self.answers += 1
        self.answered.set()
        self.answered = trio.Event()

    def status(self) -> dict[str, object]:
        return {
            "tombstones": len(self.store),
            "caught_up": self.missed_since is None,
            "caught_up_after": self.caught_up_after,
            "caught_up_in": self.caught_up_in,
        }


def _read_time(path: str) -> float | None:
    """The heartbeat's time, within [0, now]: None if there is none (we never ran here), 0.0 if it
    is unreadable (then a catch-up asks for all)."""
    try:
        with open(path, "rb") as handle:
            when = float(handle.read(64))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return 0.0
    return when if 0.0 <= when <= time.time() else 0.0
