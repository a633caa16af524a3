"""The daemon's own store: sealed entries it can hand to peers, each with its pointer.

`<cache dir>/shared/<wire key>.blob` (sealed bytes, exactly what peers and IPFS get) and
`.json` (the pointer: expiry, size, hash, CID). Wire keys arrive from the network, so anything
that is not one of ours in shape is refused before it comes near a path. Like the local tier it is
capped (GH_CACHE_MAX_SIZE) and evicts the least recently used entries; every read is a use.
"""

from __future__ import annotations

import os
import string

from ..tiers.local import write_private_file
from .protocol import BadMessage, Pointer

WIRE_KEY_LENGTH = 32
SUFFIXES = (".blob", ".json")
_HEX = frozenset(string.hexdigits.lower())


def valid_wire_key(key: str) -> bool:
    return len(key) == WIRE_KEY_LENGTH and set(key) <= _HEX


class Shelf:
    def __init__(self, root: str) -> None:
        self.root = os.path.join(root, "shared")

    def _path(self, wire_key: str, suffix: str) -> str:
        if not valid_wire_key(wire_key):
            raise KeyError(wire_key)
        return os.path.join(self.root, wire_key + suffix)

    def put(self, sealed: bytes, pointer: Pointer) -> None:
        write_private_file(self._path(pointer.key, ".blob"), sealed)
        self.set_pointer(pointer)

    def set_pointer(self, pointer: Pointer) -> None:
        write_private_file(self._path(pointer.key, ".json"), pointer.to_bytes())

    def blob(self, wire_key: str) -> bytes | None:
        """The sealed entry; reading it is a use, as in the local tier's LRU."""
        if not valid_wire_key(wire_key):
            return None
        path = self._path(wire_key, ".blob")
        data = _read(path)
        if data is not None:
            try:
                os.utime(path)
            except OSError:
                pass
        return data

    def pointer(self, wire_key: str) -> Pointer | None:
        data = _read(self._path(wire_key, ".json")) if valid_wire_key(wire_key) else None
        try:
            return Pointer.from_bytes(data) if data is not None else None
        except BadMessage:
            return None

    def pointers(self) -> list[Pointer]:
        try:
            names = os.listdir(self.root)
        except OSError:
            return []
        found = (self.pointer(name[:-5]) for name in names if name.endswith(".json"))
        return [pointer for pointer in found if pointer is not None]

    def delete(self, wire_key: str) -> None:
        for suffix in SUFFIXES:
            try:
                os.unlink(self._path(wire_key, suffix))
            except (OSError, KeyError):
                pass

    def evict_to(self, max_bytes: int, keep: str = "") -> list[Pointer]:
        """Drop least recently used entries until blobs and pointers fit in `max_bytes`; returns the
        pointers of the entries that went, so their IPFS pins can go too."""
        sizes, used = self._usage()
        total = sum(sizes.values())
        evicted = []
        for wire_key in sorted(used, key=used.__getitem__):
            if total <= max_bytes:
                break
            if wire_key == keep:
                continue
            pointer = self.pointer(wire_key)
            self.delete(wire_key)
            total -= sizes[wire_key]
            if pointer is not None:
                evicted.append(pointer)
        return evicted

    def _usage(self) -> tuple[dict[str, int], dict[str, float]]:
        """Bytes on disk per wire key, and when each was last used (its newest file's mtime)."""
        sizes: dict[str, int] = {}
        used: dict[str, float] = {}
        try:
            items = list(os.scandir(self.root))
        except OSError:
            return sizes, used
        for item in items:
            wire_key, suffix = os.path.splitext(item.name)
            if suffix not in SUFFIXES or not valid_wire_key(wire_key):
                continue  # temp files of writers, anything not ours
            try:
                info = item.stat(follow_symlinks=False)
            except OSError:
                continue
            sizes[wire_key] = sizes.get(wire_key, 0) + info.st_size
            used[wire_key] = max(used.get(wire_key, 0.0), info.st_mtime)
        return sizes, used


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None
