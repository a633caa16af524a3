"""One cached gh result and its on-disk/on-wire form.

A fixed binary header (read without json on the hit path), a small JSON info block for tools,
then stdout and stderr. A SHA-256 over everything but the digest itself makes a torn or corrupt
file a miss instead of wrong output.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .digest import sha256

MAGIC = b"GHC1"
_HEADER = struct.Struct("<4s32sddiQQI")  # magic, digest, created, expires, exit, len(out), len(err), len(info)


class CorruptEntry(ValueError):
    """The bytes are not a whole, intact entry."""


@dataclass
class Entry:
    stdout: bytes
    stderr: bytes
    exit_code: int
    created: float
    expires: float
    info: bytes = b"{}"  # JSON: data class, command, repo, scope; never argv or tokens
    key: str = field(default="", compare=False)

    def fresh(self, now: float) -> bool:
        return self.created <= now < self.expires

    def to_bytes(self) -> bytes:
        fields = (self.created, self.expires, self.exit_code, len(self.stdout), len(self.stderr), len(self.info))
        body = self.info + self.stdout + self.stderr
        digest = _digest(fields, body)
        return _HEADER.pack(MAGIC, digest, *fields) + body

    @classmethod
    def from_bytes(cls, data: bytes, key: str = "") -> "Entry":
        if len(data) < _HEADER.size:
            raise CorruptEntry("truncated header")
        magic, digest, *fields = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise CorruptEntry("not a ghcache entry")
        created, expires, exit_code, out_len, err_len, info_len = fields
        body = data[_HEADER.size:]
        if len(body) != out_len + err_len + info_len:
            raise CorruptEntry("truncated body")
        if _digest(tuple(fields), body) != digest:
            raise CorruptEntry("checksum mismatch")
        info, rest = body[:info_len], body[info_len:]
        return cls(rest[:out_len], rest[out_len:], exit_code, created, expires, info, key)


def _digest(fields: tuple, body: bytes) -> bytes:
    hasher = sha256(struct.pack("<ddiQQI", *fields))
    hasher.update(body)
    return hasher.digest()
