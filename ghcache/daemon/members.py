"""Who belongs to the namespace, and which of them is home to a key.

Anyone can open a libp2p connection to us; only peers that prove they hold the namespace secret
are members. The proof is a hello, sealed with the secret and naming both peer ids (which Noise
has authenticated) and the asker's fresh nonce, so it can be neither forged nor replayed by
another peer. Members get our requests (lookups, claims, tombstones) and we take theirs;
everything else a stranger sends is refused. A hello also carries the sender's dialable
addresses and some of the members it knows: peer exchange, so a mesh grows from a few bootstrap
peers instead of a star around them.

A key's home is the reachable member (or this daemon) that rendezvous hashing ranks first:
every daemon that knows the same members picks the same home, and a member joining or leaving
moves only the keys it ranks first for. Standard library only; `p2p` does the networking.

A member that joins (for the first time, or again after it left) is reported to `on_join` with
when it left, and losing the last member to `on_alone`: the daemon catches up on the writes it
may have missed meanwhile (`tombstones`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable

from .sharing import Rejected, Sharing

HELLO, HELLO_REPLY = "hello", "hello-reply"  # seal contexts: a hello cannot pass for a reply or an entry
MAX_ADDRS = 8  # addresses we take per peer
EXCHANGED = 16  # members' addresses a hello reply carries
MAX_KNOWN = 1024  # addresses remembered for redialling; the least recently seen go first
KNOWN_TTL = 600.0  # an address not heard of for this long is forgotten
MAX_ADDR_LENGTH = 256


class Hello:
    """What a peer says about itself in a hello or its reply."""

    __slots__ = ("sender", "receiver", "nonce", "addrs", "reachable", "peers")

    def __init__(
        self, sender: str, receiver: str, nonce: str, addrs: list[str], reachable: bool, peers: list[str]
    ) -> None:
        self.sender, self.receiver, self.nonce = sender, receiver, nonce
        self.addrs, self.reachable, self.peers = addrs, reachable, peers

    def seal(self, sharing: Sharing, context: str) -> bytes:
        fields = {name: getattr(self, name) for name in self.__slots__}
        return sharing.seal(context, json.dumps(fields, separators=(",", ":")).encode())

    @classmethod
    def open(cls, sharing: Sharing, context: str, sealed: bytes, sender: str, receiver: str) -> Hello:
        """The hello in `sealed`; Rejected unless it is ours, from `sender` and meant for `receiver`."""
        try:
            fields = json.loads(sharing.open(context, sealed))
            hello = cls(
                str(fields["sender"]),
                str(fields["receiver"]),
                str(fields["nonce"]),
                _addrs(fields["addrs"], MAX_ADDRS),
                bool(fields["reachable"]),
                _addrs(fields["peers"], EXCHANGED),
            )
        except (ValueError, KeyError, TypeError):
            raise Rejected("not a hello") from None
        if hello.sender != sender or hello.receiver != receiver:
            raise Rejected("a hello from or for another peer")
        return hello


def _addrs(value: object, limit: int) -> list[str]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return [addr for addr in value[:limit] if isinstance(addr, str) and 0 < len(addr) <= MAX_ADDR_LENGTH]


def new_nonce() -> str:
    return os.urandom(16).hex()


class Member:
    __slots__ = ("addrs", "reachable")

    def __init__(self, addrs: list[str], reachable: bool) -> None:
        self.addrs, self.reachable = addrs, reachable


class Members:
    """Verified members by peer id (as text), and addresses heard of, to dial and redial."""

    def __init__(self, me: str, reachable: bool) -> None:
        self.me, self.reachable = me, reachable
        self.verified: dict[str, Member] = {}
        self.known: dict[str, tuple[str, float]] = {}  # p2p address -> (peer id, when last heard of)
        self.left: dict[str, float] = {}  # former members -> when they left (pruned like `known`)
        self.on_join: Callable[[str, float | None], None] | None = None  # a new member, when it left us
        self.on_alone: Callable[[float], None] | None = None  # the last member left, at this time

    def admit(self, peer: str, hello: Hello, now: float) -> None:
        joined = peer not in self.verified
        self.verified[peer] = Member(hello.addrs, hello.reachable)
        if joined and self.on_join is not None:
            self.on_join(peer, self.left.pop(peer, None))
        for addr in hello.addrs if hello.reachable else ():
            self.hear(addr, peer, now)
        for addr in hello.peers:
            self.hear(addr, _peer_of(addr), now)

    def hear(self, addr: str, peer: str, now: float) -> None:
        if peer and peer != self.me:
            self.known[addr] = (peer, now)
        if len(self.known) > MAX_KNOWN:
            for stale in sorted(self.known, key=lambda item: self.known[item][1])[: len(self.known) - MAX_KNOWN]:
                del self.known[stale]

    def forget(self, peer: str) -> None:
        """A member that disconnected: it must hello again (it may have restarted with another secret)."""
        if self.verified.pop(peer, None) is None:
            return
        now = time.time()
        self.left[peer] = now
        if len(self.left) > MAX_KNOWN:
            del self.left[min(self.left, key=self.left.__getitem__)]
        if not self.verified and self.on_alone is not None:
            self.on_alone(now)

    def prune(self, now: float) -> None:
        self.known = {addr: seen for addr, seen in self.known.items() if seen[1] > now - KNOWN_TTL}
        self.left = {peer: when for peer, when in self.left.items() if when > now - KNOWN_TTL}

    def exchange(self) -> list[str]:
        """Addresses of reachable members, for a hello reply."""
        addrs = [member.addrs[0] for member in self.verified.values() if member.reachable and member.addrs]
        return addrs[:EXCHANGED]

    def ranked(self, wire_key: str, connected: set[str]) -> list[str]:
        """Connected, reachable members (and "" for this daemon, if reachable) by rendezvous score
        for `wire_key`: the first is the key's home."""
        candidates = [peer for peer, member in self.verified.items() if member.reachable and peer in connected]
        if self.reachable or not candidates:
            candidates.append(self.me)
        ranked = sorted(candidates, key=lambda peer: _score(wire_key, peer), reverse=True)
        return ["" if peer == self.me else peer for peer in ranked]


def _score(wire_key: str, peer: str) -> bytes:
    return hashlib.sha256(f"{wire_key}\0{peer}".encode()).digest()


def _peer_of(addr: str) -> str:
    """The peer id at the end of a `.../p2p/<id>` address, or "" if there is none."""
    head, _, peer = addr.rpartition("/p2p/")
    return peer if head else ""
