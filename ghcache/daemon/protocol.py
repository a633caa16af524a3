"""Every message the daemon speaks: shim <-> daemon over the Unix socket, daemon <-> daemon over
libp2p (`/ghcache/1.0.0`), and the sealed announcements peers gossip as hints.

Standard library only: the shim's miss path imports it. A message is one frame:
`u32 header length | u32 body length | JSON header | body`. Entries travel as body bytes in the
entry format (plain on the local socket, sealed between peers).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

PEER_PROTOCOL = "/ghcache/1.0.0"
DHT_PREFIX = "/ghcache"
PREFIX = struct.Struct(">II")
MAX_HEADER = 64 * 1024
MAX_BODY = 64 * 1024 * 1024

# Local ops (shim and CLI -> daemon)
GET, PUT, STATUS, STOP = "get", "put", "status", "stop"
# Peer ops (daemon -> daemon), and the gossip announcement
PEER_GET, ANNOUNCE = "peer-get", "announce"
# Replies
FOUND, MISSING, OK, ERROR = "found", "missing", "ok", "error"


class BadMessage(ValueError):
    """Not a frame we understand, or one over the size limits."""


@dataclass
class Message:
    op: str
    fields: dict[str, Any] = field(default_factory=dict)
    body: bytes = b""

    def encode(self) -> bytes:
        header = json.dumps({"op": self.op, **self.fields}, separators=(",", ":")).encode()
        return PREFIX.pack(len(header), len(self.body)) + header + self.body

    @classmethod
    def decode(cls, frame: bytes) -> "Message":
        remaining = frame_length(frame[:PREFIX.size])
        if len(frame) != PREFIX.size + remaining:
            raise BadMessage("truncated frame")
        header_len, _ = PREFIX.unpack_from(frame)
        try:
            header = json.loads(frame[PREFIX.size:PREFIX.size + header_len])
        except ValueError:
            raise BadMessage("header is not JSON") from None
        if not isinstance(header, dict) or not isinstance(header.get("op"), str):
            raise BadMessage("header has no op")
        op = header.pop("op")
        return cls(op, header, frame[PREFIX.size + header_len:])


def frame_length(prefix: bytes) -> int:
    """How many bytes follow the prefix; readers use it to read exactly one frame."""
    if len(prefix) != PREFIX.size:
        raise BadMessage("truncated prefix")
    header_len, body_len = PREFIX.unpack(prefix)
    if header_len > MAX_HEADER or body_len > MAX_BODY:
        raise BadMessage("frame over the size limit")
    return header_len + body_len


# -- shim and CLI -> daemon ------------------------------------------------------------------------
def get(key: str, now: float, timeout_ms: float) -> Message:
    """Find the entry for a shared key; `now` is the caller's clock, so expiry is judged by it."""
    return Message(GET, {"key": key, "now": now, "timeout_ms": timeout_ms})


def put(key: str, entry: bytes) -> Message:
    """Share an entry the shim just stored; the daemon replies at once and works afterwards."""
    return Message(PUT, {"key": key}, entry)


def status() -> Message:
    return Message(STATUS)


def stop() -> Message:
    return Message(STOP)


# -- daemon -> daemon --------------------------------------------------------------------------------
def peer_get(wire_key: str) -> Message:
    return Message(PEER_GET, {"key": wire_key})


# -- replies -------------------------------------------------------------------------------------------
def found(body: bytes, tier: str = "") -> Message:
    """An entry: plain with the tier that served it (to the shim), or sealed (to a peer)."""
    return Message(FOUND, {"tier": tier} if tier else {}, body)


def missing() -> Message:
    return Message(MISSING)


def ok(**fields: Any) -> Message:
    return Message(OK, fields)


def error(reason: str) -> Message:
    return Message(ERROR, {"reason": reason})


# -- gossip and DHT records (sealed by the sender; the plaintext is this JSON) ----------------------
@dataclass(frozen=True)
class Pointer:
    """A hint that an entry exists: who has it, its IPFS CID, when it expires, size and hash."""

    key: str
    expires: float
    size: int
    sha256: str
    cid: str = ""
    peer: str = ""

    def to_bytes(self) -> bytes:
        return json.dumps(vars(self), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Pointer":
        try:
            fields = json.loads(data)
            return cls(str(fields["key"]), float(fields["expires"]), int(fields["size"]), str(fields["sha256"]),
                       str(fields.get("cid", "")), str(fields.get("peer", "")))
        except (ValueError, KeyError, TypeError):
            raise BadMessage("not a pointer") from None
