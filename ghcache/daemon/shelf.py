"""The daemon's own store: sealed entries it can hand to peers, each with its pointer.

`<cache dir>/shared/<wire key>.blob` (sealed bytes, exactly what peers and IPFS get) and
`.json` (the pointer: expiry, size, hash, CID). Wire keys arrive from the network, so anything
that is not one of ours in shape is refused before it comes near a path.
"""

from __future__ import annotations

import os
import string

from ..tiers.local import write_private_file
from .protocol import BadMessage, Pointer

WIRE_KEY_LENGTH = 32
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
        return _read(self._path(wire_key, ".blob")) if valid_wire_key(wire_key) else None

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
        for suffix in (".blob", ".json"):
            try:
                os.unlink(self._path(wire_key, suffix))
            except (OSError, KeyError):
                pass


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None
