"""Write invalidation across the namespace: sealed tombstones, applied to the local ones.

A write through any runner's shim marks local tombstones (`ghcache.invalidation`) and hands the
same marks to its daemon, which seals them and sends them to the namespace: over gossip and
straight to every member it is connected to, which pass on what was news to them (a flood that
ends, since a mark only spreads while it is newer than what a daemon has). A daemon applies a
tombstone by marking its own cache dir's tombstones, so they are checked on use (by the shim for
local entries, by the daemon for shared ones) and survive restarts like any local write.
"""

from __future__ import annotations

import json
import time

from .. import invalidation
from .sharing import Rejected, Sharing

SEAL_CONTEXT = "tombstone"  # the associated data: a tombstone cannot pass for any other sealed blob
MAX_CLASSES = 32
MAX_FIELD = 256
MAX_FUTURE = 300.0  # a mark further ahead of our clock than this is refused: it would stale all for long


class Tombstone:
    """Reads of `classes` of `repo` on `host` fetched before `time` are stale."""

    __slots__ = ("host", "repo", "classes", "time")

    def __init__(self, host: str, repo: str, classes: tuple[str, ...], when: float) -> None:
        self.host, self.repo, self.classes, self.time = host, repo, classes, when

    def seal(self, sharing: Sharing) -> bytes:
        fields = {"host": self.host, "repo": self.repo, "classes": list(self.classes), "time": self.time}
        return sharing.seal(SEAL_CONTEXT, json.dumps(fields, separators=(",", ":")).encode())

    @classmethod
    def open(cls, sharing: Sharing, sealed: bytes, now: float | None = None) -> Tombstone:
        """The tombstone in a sealed blob; Rejected unless it is ours and well formed."""
        try:
            fields = json.loads(sharing.open(SEAL_CONTEXT, sealed))
            host, repo, classes, when = fields["host"], fields["repo"], fields["classes"], float(fields["time"])
        except (ValueError, KeyError, TypeError):
            raise Rejected("not a tombstone") from None
        texts = [host, repo, *classes] if isinstance(classes, list) else []
        if not texts or not all(isinstance(text, str) and 0 < len(text) <= MAX_FIELD for text in texts):
            raise Rejected("not a tombstone")
        if len(classes) > MAX_CLASSES or when > (time.time() if now is None else now) + MAX_FUTURE:
            raise Rejected("not a tombstone")
        return cls(host, repo, tuple(classes), when)

    def apply(self, cache_dir: str) -> bool:
        """Mark the classes this tombstone is news for; True if any was (then it is worth passing on)."""
        news = tuple(
            data_class
            for data_class in self.classes
            if invalidation.last_write(cache_dir, self.host, self.repo, data_class) < self.time
        )
        if news:
            invalidation.mark(cache_dir, self.host, (self.repo,), self.time)
        return bool(news)
