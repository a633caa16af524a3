"""What the namespace's gossip told us: who announced which entry, and where it is on IPFS.

Announcements are only hints (sealed, so ours, but the data still comes by request and is
verified): they say which peers to ask first and which CID to fetch from IPFS when no peer has
the entry. Bounded, since a daemon lives long: each expires with its entry, and past MAX_HINTS
the soonest to expire go.
"""

from __future__ import annotations

from .protocol import Pointer

MAX_HINTS = 10_000


class Hints:
    """Verified announcements by wire key: who holds an entry (asked first) and its IPFS pointer.
    Bounded: each expires with its entry, and past MAX_HINTS the soonest to expire go."""

    def __init__(self) -> None:
        self.pointers: dict[str, Pointer] = {}
        self.holders: dict[str, set[str]] = {}

    def add(self, pointer: Pointer, peer: str) -> None:
        known = self.pointers.get(pointer.key)
        if known is None or pointer.cid or not known.cid:  # keep a pointer with a CID over one without
            self.pointers[pointer.key] = pointer
        self.holders.setdefault(pointer.key, set()).add(peer)
        if len(self.pointers) > MAX_HINTS:
            for key in sorted(self.pointers, key=lambda key: self.pointers[key].expires)[
                : len(self.pointers) - MAX_HINTS
            ]:
                self.drop(key)

    def drop(self, wire_key: str) -> None:
        self.pointers.pop(wire_key, None)
        self.holders.pop(wire_key, None)

    def prune(self, now: float) -> None:
        for key in [key for key, pointer in self.pointers.items() if pointer.expires <= now]:
            self.drop(key)

    def __len__(self) -> int:
        return len(self.pointers)
