"""Every message the daemon speaks: shim <-> daemon over the Unix socket, daemon <-> daemon over
libp2p (`/ghcache/1.2.0`), and the sealed announcements and tombstones peers gossip.

The shim's miss path imports this module, so it stays light: standard library, and no json,
dataclasses or typing at import (together ~20 ms, more than the rest of a peer hit). A message is
one frame: `u32 header length | u32 body length | header | body`. The header is the op and flat
text fields, `op NUL name NUL value ...`; entries travel as body bytes in the entry format (plain
on the local socket, sealed between peers). Structured records (status, pointers) are JSON, built
and read only in the daemon and the CLI.
"""

from __future__ import annotations

import struct

TYPE_CHECKING = False  # typing costs the shim milliseconds; annotations are never evaluated
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Any

PEER_PROTOCOL = "/ghcache/1.2.0"  # 1.1: many requests per stream; 1.2: membership, leases, homes, tombstones
PREFIX = struct.Struct(">II")
MAX_HEADER = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
SEPARATOR = "\0"

# Local ops (shim and CLI -> daemon)
GET, CLAIM, PUT, INVALIDATE, STATUS, STOP = "get", "claim", "put", "invalidate", "status", "stop"
# Peer ops (daemon -> daemon), and the gossip messages
PEER_HELLO, PEER_GET, PEER_CLAIM, PEER_WAIT = "peer-hello", "peer-get", "peer-claim", "peer-wait"
PEER_STORE, PEER_RELEASE, PEER_TOMBSTONE = "peer-store", "peer-release", "peer-tombstone"
PEER_TOMBSTONES = "peer-tombstones"  # catch-up: the sealed tombstones a member holds since a time
ANNOUNCE, TOMBSTONE = "announce", "tombstone"
# Replies
FOUND, MISSING, OK, ERROR = "found", "missing", "ok", "error"
ACK = "ack"  # sent first, when a request asks for it: the daemon has the request; the reply follows
# The lease a claim ends with, in the `lease` field of a MISSING reply
GRANTED, HELD = "granted", "held"


class BadMessage(ValueError):
    """Not a frame we understand, or one over the size limits."""


class Message:
    """One frame: an op, text fields (numbers are sent as text; receivers convert), and a body."""

    __slots__ = ("op", "fields", "body")

    def __init__(self, op: str, fields: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.op = op
        self.fields = fields or {}
        self.body = body

    def encode(self) -> bytes:
        parts = [self.op]
        for name, value in self.fields.items():
            parts += (name, str(value))
        header = SEPARATOR.join(parts)
        if header.count(SEPARATOR) != len(parts) - 1:
            raise ValueError("a message field holds a NUL")
        data = header.encode()
        return PREFIX.pack(len(data), len(self.body)) + data + self.body

    @classmethod
    def decode(cls, frame: bytes) -> Message:
        remaining = frame_length(frame[: PREFIX.size])
        if len(frame) != PREFIX.size + remaining:
            raise BadMessage("truncated frame")
        header_len, _ = PREFIX.unpack_from(frame)
        try:
            parts = frame[PREFIX.size : PREFIX.size + header_len].decode().split(SEPARATOR)
        except UnicodeDecodeError:
            raise BadMessage("header is not text") from None
        if not parts[0] or len(parts) % 2 != 1:
            raise BadMessage("header is not an op and name/value pairs")
        return cls(parts[0], dict(zip(parts[1::2], parts[2::2], strict=True)), frame[PREFIX.size + header_len :])


def frame_length(prefix: bytes, max_body: int = MAX_BODY) -> int:
    """How many bytes follow the prefix; readers use it to read exactly one frame."""
    if len(prefix) != PREFIX.size:
        raise BadMessage("truncated prefix")
    header_len, body_len = PREFIX.unpack(prefix)
    if header_len > MAX_HEADER or body_len > max_body:
        raise BadMessage("frame over the size limit")
    return int(header_len + body_len)


async def read_message(receive: Callable[[int], Awaitable[bytes]], max_body: int = MAX_BODY) -> Message:
    """Exactly one frame from a stream; `receive(n)` gives at most n bytes, b"" at the end."""
    prefix = await _read_exactly(receive, PREFIX.size)
    return Message.decode(prefix + await _read_exactly(receive, frame_length(prefix, max_body)))


async def _read_exactly(receive: Callable[[int], Awaitable[bytes]], count: int) -> bytes:
    data = bytearray()
    while len(data) < count:  # bounded: every pass reads at least one byte or leaves
        chunk = await receive(min(count - len(data), 1 << 20))
        if not chunk:
            raise BadMessage("the stream ended inside a frame")
        data += chunk
    return bytes(data)


# -- shim and CLI -> daemon ------------------------------------------------------------------------
def get(key: str, now: float, timeout_ms: float, ack: bool = False) -> Message:
    """Find the entry for a shared key; `now` is the caller's clock, so expiry is judged by it.
    With `ack`, the daemon sends an ACK frame as soon as it has read the request, before the reply:
    the caller then knows the daemon is working on it, not hung, and can wait for a late reply."""
    fields = {"key": key, "now": repr(now), "timeout_ms": repr(timeout_ms)}
    return Message(GET, {**fields, "ack": "1"} if ack else fields)


def claim(key: str, now: float, timeout_ms: float, pid: int) -> Message:
    """After a miss, ask for the key's lease (distributed single-flight). The reply is the entry,
    if another runner holds the lease and stores it within `timeout_ms`; or a miss with
    `lease=granted` (the process `pid` fetches; its lease ends when it puts the entry or ends);
    or a plain miss (fetch without a lease). A reply after waiting for another runner's fetch says
    how long that took in `waited_ms`."""
    return Message(CLAIM, {"key": key, "now": repr(now), "timeout_ms": repr(timeout_ms), "pid": str(pid)})


def put(key: str, entry: bytes) -> Message:
    """Share an entry the shim just stored; the daemon replies at once and works afterwards."""
    return Message(PUT, {"key": key}, entry)


def invalidate(host: str, repo: str, classes: tuple[str, ...], when: float) -> Message:
    """A write went through this machine's shim: tell every peer of the namespace."""
    return Message(INVALIDATE, {"host": host, "repo": repo, "classes": ",".join(classes), "time": repr(when)})


def status() -> Message:
    return Message(STATUS)


def stop() -> Message:
    return Message(STOP)


# -- daemon -> daemon --------------------------------------------------------------------------------
def peer_get(wire_key: str) -> Message:
    return Message(PEER_GET, {"key": wire_key})


def peer_claim(wire_key: str) -> Message:
    """To a key's home: its entry if the home has it, else the lease (`granted` or `held`)."""
    return Message(PEER_CLAIM, {"key": wire_key})


def peer_wait(wire_key: str, timeout_ms: float) -> Message:
    """To a key's home: its entry once the lease's holder stores it there."""
    return Message(PEER_WAIT, {"key": wire_key, "timeout_ms": repr(timeout_ms)})


def peer_store(wire_key: str, sealed: bytes) -> Message:
    """To a key's home: keep this sealed entry (and end our lease with it, if we hold one)."""
    return Message(PEER_STORE, {"key": wire_key}, sealed)


def peer_release(wire_key: str) -> Message:
    """To a key's home: our lease ends without an entry; its waiters fetch themselves."""
    return Message(PEER_RELEASE, {"key": wire_key})


def peer_tombstone(sealed: bytes) -> Message:
    return Message(PEER_TOMBSTONE, {}, sealed)


def peer_tombstones(since: float) -> Message:
    """Catch-up, to a member: the sealed tombstones it holds of writes at or after `since`."""
    return Message(PEER_TOMBSTONES, {"since": repr(since)})


def tombstones_reply(sealed: list[bytes], complete_after: float, synced_since: float) -> Message:
    """The answer to `peer_tombstones`: sealed tombstones (each `u32 length | bytes`), newest
    first. `complete_after` > 0 says the list may lack tombstones older than that time (the
    reply was cut at its bounds, or the sender no longer holds them); `synced_since` is when the
    sender's own knowledge of the namespace's writes begins (inf: it is catching up itself)."""
    body = b"".join(struct.pack(">I", len(blob)) + blob for blob in sealed)
    return Message(OK, {"complete_after": repr(complete_after), "synced_since": repr(synced_since)}, body)


def read_tombstones(reply: Message, max_count: int) -> tuple[list[bytes], float, float]:
    """The sealed tombstones of a `tombstones_reply` (at most `max_count`), its `complete_after`
    and `synced_since` (inf when missing); BadMessage for anything else. The tombstones themselves
    are still to be opened and checked."""
    if reply.op != OK:
        raise BadMessage("not a tombstones reply")
    try:
        complete_after = float(reply.fields.get("complete_after") or 0.0)
        synced_since = float(reply.fields.get("synced_since") or "inf")
    except ValueError:
        raise BadMessage("complete_after or synced_since is not a number") from None
    sealed: list[bytes] = []
    body, offset = reply.body, 0
    while offset < len(body):  # bounded: every pass moves past at least the 4-byte length
        if len(sealed) >= max_count or offset + 4 > len(body):
            raise BadMessage("too many tombstones, or a truncated one")
        (length,) = struct.unpack_from(">I", body, offset)
        blob = body[offset + 4 : offset + 4 + length]
        if len(blob) != length:
            raise BadMessage("a truncated tombstone")
        sealed.append(blob)
        offset += 4 + length
    return sealed, complete_after, synced_since


# -- replies -------------------------------------------------------------------------------------------
def found(body: bytes, tier: str = "") -> Message:
    """An entry: plain with the tier that served it (to the shim), or sealed (to a peer)."""
    return Message(FOUND, {"tier": tier} if tier else {}, body)


def missing(lease: str = "") -> Message:
    return Message(MISSING, {"lease": lease} if lease else {})


def ack() -> Message:
    return Message(ACK)


def ok(body: bytes = b"") -> Message:
    return Message(OK, body=body)


def error(reason: str) -> Message:
    return Message(ERROR, {"reason": reason.replace(SEPARATOR, " ")})


def status_reply(fields: dict[str, Any]) -> Message:
    """What a running daemon reports (`ghcache daemon status`), as JSON in the body."""
    import json  # the daemon and the CLI only; the shim never asks for status

    return Message(OK, body=json.dumps(fields, separators=(",", ":")).encode())


def read_status(reply: Message) -> dict[str, Any]:
    """The fields of a `status_reply`; BadMessage for anything else."""
    import json

    try:
        fields = json.loads(reply.body)
    except ValueError:
        raise BadMessage("status is not JSON") from None
    if reply.op != OK or not isinstance(fields, dict):
        raise BadMessage("not a status reply")
    return fields


# -- gossip announcements (sealed by the sender; the plaintext is this JSON) -------------------------
class Pointer:
    """A hint that an entry exists: who has it, its IPFS CID, when it expires, size and hash.

    On a daemon's own shelf `cid` is set only for what that daemon pinned, so it unpins no one else's.
    """

    __slots__ = ("key", "expires", "size", "sha256", "cid", "peer")

    def __init__(self, key: str, expires: float, size: int, sha256: str, cid: str = "", peer: str = "") -> None:
        self.key, self.expires, self.size, self.sha256, self.cid, self.peer = key, expires, size, sha256, cid, peer

    def with_cid(self, cid: str) -> Pointer:
        return Pointer(self.key, self.expires, self.size, self.sha256, cid, self.peer)

    def to_bytes(self) -> bytes:
        import json  # the daemon only, like every pointer

        return json.dumps({name: getattr(self, name) for name in self.__slots__}, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Pointer:
        import json

        try:
            fields = json.loads(data)
            return cls(
                str(fields["key"]),
                float(fields["expires"]),
                int(fields["size"]),
                str(fields["sha256"]),
                str(fields.get("cid", "")),
                str(fields.get("peer", "")),
            )
        except (ValueError, KeyError, TypeError):
            raise BadMessage("not a pointer") from None
