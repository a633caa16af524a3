"""Distributed single-flight: per-key leases, granted by the key's home peer.

Every key has a home: the peer of the namespace that rendezvous hashing ranks first among the
members a daemon knows (`p2p.PeerNet.home`). A daemon whose shim misses a key claims the key's
lease at its home. The first claimant is granted it and its shim fetches from GitHub; later
claimants hear "held" and wait at the home until the holder stores the entry there, which wakes
them all with it. Nothing here can block past a bound: a lease lapses after LEASE_TIME, when its
holder gives up (its shim failed, died or was stopped: `Holdings`), or when the holder leaves the
namespace, and every wait ends by its own deadline too (GH_CACHE_PEER_WAIT_MS, the shim's). A
waiter that wakes without an entry fetches itself.

Standard library and trio only: the network side is in `p2p`, the wiring in `server`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import trio

from . import process

LEASE_TIME = 30.0  # the longest a lease lasts, however its holder fares
MAX_LEASES = 4096  # leases a home keeps at once; past it, claims are granted without one (fetch)
HOLDER_CHECK = 0.2  # seconds between checks that a holder is still there
PUT_GRACE = 2.0  # a shim puts its entry as it exits: the put may reach us a little after its pid is gone


class Lease:
    """One key's lease at its home: who fetches, until when, and what waiters wake to."""

    __slots__ = ("holder", "until", "done", "sealed")

    def __init__(self, holder: str, until: float) -> None:
        self.holder, self.until = holder, until
        self.done = trio.Event()
        self.sealed: bytes | None = None  # the entry the holder stored, once it has

    def end(self, sealed: bytes | None) -> None:
        self.sealed = sealed
        self.done.set()


class Leases:
    """The leases of the keys this daemon is home to. `present(holder)` tells whether a holder is
    still a member (a peer id, or "" for this daemon's own shims, always present)."""

    def __init__(self, present: Callable[[str], bool]) -> None:
        self.present = present
        self.held: dict[str, Lease] = {}

    def claim(self, wire_key: str, claimant: str) -> str:
        """GRANTED (the claimant fetches) or HELD (someone else does; wait)."""
        self._forget_lapsed()
        lease = self.held.get(wire_key)
        if lease is not None and lease.holder != claimant:
            return "held"
        if lease is None and len(self.held) < MAX_LEASES:
            self.held[wire_key] = Lease(claimant, trio.current_time() + LEASE_TIME)
        return "granted"

    def release(self, wire_key: str, holder: str, sealed: bytes | None) -> None:
        """The holder is done: with the entry (waiters get it) or without (they fetch themselves).
        Only the holder can end its lease."""
        lease = self.held.get(wire_key)
        if lease is not None and lease.holder == holder:
            del self.held[wire_key]
            lease.end(sealed)

    async def wait(self, wire_key: str, timeout: float) -> bytes | None:
        """The entry the lease's holder stores, or None when there is no lease, it ends without one,
        its holder leaves, or `timeout` passes."""
        lease = self.held.get(wire_key)
        if lease is None:
            return None
        with trio.move_on_after(min(timeout, max(lease.until - trio.current_time(), 0.0))):
            while not lease.done.is_set():
                if not self.present(lease.holder):
                    self.release(wire_key, lease.holder, None)
                    break
                with trio.move_on_after(HOLDER_CHECK):
                    await lease.done.wait()
        return lease.sealed

    def _forget_lapsed(self) -> None:
        now = trio.current_time()
        for wire_key, lease in list(self.held.items()):
            if lease.until <= now:
                self.release(wire_key, lease.holder, None)


class Holding:
    """A lease this daemon's shim holds: where it was granted and which process fetches. The shim
    counts as gone once its pid is gone or stopped."""

    __slots__ = ("home", "pid", "until", "gone")

    def __init__(self, home: str, pid: int, until: float) -> None:
        self.home, self.pid, self.until = home, pid, until
        self.gone = float("inf")  # when we first saw the pid gone

    def abandoned(self, now: float) -> bool:
        if self.gone == float("inf") and not _alive(self.pid):
            self.gone = now
        return self.until <= now or self.gone + PUT_GRACE <= now


class Holdings:
    """The leases this daemon's shims hold, so the daemon can give them back for a shim that
    failed (no entry to share) or died: a lease then ends in seconds, not LEASE_TIME."""

    def __init__(self) -> None:
        self.held: dict[str, Holding] = {}

    def add(self, wire_key: str, home: str, pid: int) -> None:
        if len(self.held) < MAX_LEASES:
            self.held[wire_key] = Holding(home, pid, trio.current_time() + LEASE_TIME)

    def take(self, wire_key: str) -> Holding | None:
        """The holding of a key whose entry the shim just put, if it held the lease."""
        return self.held.pop(wire_key, None)

    def abandoned(self) -> list[tuple[str, Holding]]:
        """Holdings whose shim has gone without putting an entry (PUT_GRACE after its pid), or that
        lapsed; they are removed."""
        now = trio.current_time()
        gone = [(key, held) for key, held in self.held.items() if held.abandoned(now)]
        for key, _held in gone:
            del self.held[key]
        return gone


def _alive(pid: int) -> bool:
    """Whether the shim `pid` may still put its entry: not gone (nor a zombie its parent has not
    reaped yet), and not stopped (SIGSTOP, a tracer), which would hold its lease, and every runner
    waiting for it, until it lapsed."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's: not our shim, but not gone either
        return True
    return process.state(pid) not in (*process.STOPPED, *process.DEAD)
