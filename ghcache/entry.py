"""One cached gh result and its on-disk/on-wire form.

A fixed binary header (read without json on the hit path), a small JSON info block for tools,
the order in which gh wrote to its two streams, then stdout and stderr. A SHA-256 over everything but the digest itself makes a torn or corrupt
file a miss instead of wrong output.
"""

from __future__ import annotations

import struct

from .digest import sha256

MAGIC = b"GHC1"
_HEADER = struct.Struct("<4s32sddiQQII")  # magic, digest, created, expires, exit, len(out/err/info/order)
_FIELDS = struct.Struct("<ddiQQII")
_SEGMENT = struct.Struct("<BI")  # stream (1 or 2), bytes written in one go


class CorruptEntry(ValueError):
    """The bytes are not a whole, intact entry."""


class Entry:
    """gh's output and exit code, with when it was fetched and until when it is fresh."""

    __slots__ = ("stdout", "stderr", "exit_code", "created", "expires", "info", "order", "key")

    def __init__(self, stdout: bytes, stderr: bytes, exit_code: int, created: float, expires: float,
                 info: bytes = b"{}", order: bytes = b"", key: str = "") -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.exit_code = exit_code
        self.created = created
        self.expires = expires
        self.info = info  # JSON: data class, command, repo; never argv or tokens
        self.order = order  # _SEGMENT records: how writes to stdout and stderr interleaved
        self.key = key

    def segments(self) -> list[tuple[int, bytes]]:
        """(stream, data) in the order gh wrote them; stdout then stderr when the order is unknown."""
        if not self.order:
            return [(1, self.stdout), (2, self.stderr)]
        offsets = {1: 0, 2: 0}
        streams = {1: self.stdout, 2: self.stderr}
        result = []
        for fd, length in _SEGMENT.iter_unpack(self.order):
            result.append((fd, streams[fd][offsets[fd]:offsets[fd] + length]))
            offsets[fd] += length
        return result

    def fresh(self, now: float) -> bool:
        return self.created <= now < self.expires

    def to_bytes(self) -> bytes:
        fields = (self.created, self.expires, self.exit_code, len(self.stdout), len(self.stderr), len(self.info),
                  len(self.order))
        body = self.info + self.order + self.stdout + self.stderr
        digest = _digest(fields, body)
        return _HEADER.pack(MAGIC, digest, *fields) + body

    @classmethod
    def from_bytes(cls, data: bytes, key: str = "") -> "Entry":
        if len(data) < _HEADER.size:
            raise CorruptEntry("truncated header")
        magic, digest, *fields = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise CorruptEntry("not a ghcache entry")
        created, expires, exit_code, out_len, err_len, info_len, order_len = fields
        body = data[_HEADER.size:]
        if len(body) != out_len + err_len + info_len + order_len or order_len % _SEGMENT.size:
            raise CorruptEntry("truncated body")
        if _digest(tuple(fields), body) != digest:
            raise CorruptEntry("checksum mismatch")
        info, order, rest = body[:info_len], body[info_len:info_len + order_len], body[info_len + order_len:]
        return cls(rest[:out_len], rest[out_len:], exit_code, created, expires, info, order, key)


def pack_order(segments: list[tuple[int, int]]) -> bytes:
    """(stream, length) pairs -> the compact form stored in `order`."""
    return b"".join(_SEGMENT.pack(fd, length) for fd, length in segments)


def _digest(fields: tuple, body: bytes) -> bytes:
    hasher = sha256(_FIELDS.pack(*fields))
    hasher.update(body)
    return hasher.digest()
