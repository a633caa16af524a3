"""SHA-256 without hashlib's OpenSSL start-up cost (~3 ms), which the hit path cannot afford."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:  # CPython 3.11's built-in implementation
        from _sha256 import sha256
    except ImportError:  # pragma: no cover - other versions
        try:
            from _sha2 import sha256  # CPython 3.12+
        except ImportError:
            from hashlib import sha256

__all__ = ["hexdigest", "sha256"]


def hexdigest(*parts: str | bytes) -> str:
    """One digest over unambiguous, length-prefixed parts."""
    hasher = sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        hasher.update(b"%d:" % len(data))
        hasher.update(data)
    return hasher.hexdigest()
