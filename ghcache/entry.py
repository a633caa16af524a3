"""One cached gh result and its on-disk/on-wire form.

A fixed little-endian header (read with int.from_bytes: the hit path loads neither json nor the
struct extension), a small JSON info block for tools, the order in which gh wrote to its two
streams, then stdout and stderr. A SHA-256 over everything but the digest itself makes a torn or
corrupt file a miss instead of wrong output.
"""

from __future__ import annotations

from .digest import sha256

MAGIC = b"GHC2"
# (name, bytes, signed) after the magic and the 32-byte digest; times are whole microseconds.
_FIELDS = (
    ("created", 8, False),
    ("expires", 8, False),
    ("exit_code", 4, True),
    ("stdout", 8, False),
    ("stderr", 8, False),
    ("info", 4, False),
    ("order", 4, False),
)
_DIGEST_AT = len(MAGIC)
_FIELDS_AT = _DIGEST_AT + 32
HEADER_SIZE = _FIELDS_AT + sum(size for _, size, _ in _FIELDS)
_SEGMENT_SIZE = 5  # stream (1 byte: 1 or 2), then how many bytes gh wrote in one go (4 bytes)


class CorruptEntry(ValueError):
    """The bytes are not a whole, intact entry."""


class Entry:
    """gh's output and exit code, with when it was fetched and until when it is fresh."""

    __slots__ = ("stdout", "stderr", "exit_code", "created", "expires", "info", "order", "key")

    def __init__(
        self,
        stdout: bytes,
        stderr: bytes,
        exit_code: int,
        created: float,
        expires: float,
        info: bytes = b"{}",
        order: bytes = b"",
        key: str = "",
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.exit_code = exit_code
        self.created = created
        self.expires = expires
        self.info = info  # JSON: data class, command, repo; never argv or tokens
        self.order = order  # pack_order() records: how writes to stdout and stderr interleaved
        self.key = key

    def fresh(self, now: float) -> bool:
        return self.created <= now < self.expires

    def servable_stale(self, now: float, max_stale: float) -> bool:
        """Young enough to stand in while gh fails (`prune` deletes what is not)."""
        return now - self.expires <= max_stale

    def segments(self) -> list[tuple[int, bytes]]:
        """(stream, data) in the order gh wrote them; stdout then stderr when the order is unknown."""
        if not self.order:
            return [(1, self.stdout), (2, self.stderr)]
        offsets = {1: 0, 2: 0}
        streams = {1: self.stdout, 2: self.stderr}
        result = []
        for at in range(0, len(self.order), _SEGMENT_SIZE):
            fd, length = self.order[at], int.from_bytes(self.order[at + 1 : at + _SEGMENT_SIZE], "little")
            result.append((fd, streams[fd][offsets[fd] : offsets[fd] + length]))
            offsets[fd] += length
        return result

    def to_bytes(self) -> bytes:
        # Truncated to whole microseconds: never later than the real times (a fresh entry stays fresh).
        values = {
            "created": int(self.created * 1e6),
            "expires": int(self.expires * 1e6),
            "exit_code": self.exit_code,
            "stdout": len(self.stdout),
            "stderr": len(self.stderr),
            "info": len(self.info),
            "order": len(self.order),
        }
        fields = b"".join(values[name].to_bytes(size, "little", signed=signed) for name, size, signed in _FIELDS)
        body = fields + self.info + self.order + self.stdout + self.stderr
        return MAGIC + sha256(body).digest() + body

    @classmethod
    def from_bytes(cls, data: bytes, key: str = "") -> Entry:
        if len(data) < HEADER_SIZE:
            raise CorruptEntry("truncated header")
        if data[:_DIGEST_AT] != MAGIC:
            raise CorruptEntry("not a ghcache entry")
        values, at = {}, _FIELDS_AT
        for name, size, signed in _FIELDS:
            values[name] = int.from_bytes(data[at : at + size], "little", signed=signed)
            at += size
        lengths = (values["info"], values["order"], values["stdout"], values["stderr"])
        if len(data) != HEADER_SIZE + sum(lengths) or values["order"] % _SEGMENT_SIZE:
            raise CorruptEntry("truncated body")
        if sha256(data[_FIELDS_AT:]).digest() != data[_DIGEST_AT:_FIELDS_AT]:
            raise CorruptEntry("checksum mismatch")
        parts, at = [], HEADER_SIZE
        for length in lengths:
            parts.append(data[at : at + length])
            at += length
        info, order, stdout, stderr = parts
        return cls(
            stdout, stderr, values["exit_code"], values["created"] / 1e6, values["expires"] / 1e6, info, order, key
        )


def pack_order(segments: list[tuple[int, int]]) -> bytes:
    """(stream, length) pairs -> the compact form stored in `order`."""
    return b"".join(bytes((fd,)) + length.to_bytes(4, "little") for fd, length in segments)
