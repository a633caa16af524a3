"""The peer tier as the shim sees it: the local daemon, asked over its Unix socket under a hard deadline.

Standard library only. The daemon does the network work (libp2p peers, IPFS) and the trust work
(sealing, verification, expiry); this side only carries entries to and from it. No daemon, a dead
one or a slow one all look the same here: a miss, after at most GH_CACHE_PEER_TIMEOUT_MS.
"""

from __future__ import annotations

from ..daemon import client, protocol
from ..entry import CorruptEntry, Entry

TYPE_CHECKING = False  # typing costs the shim milliseconds; annotations are never evaluated
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import Settings

DAEMON_SHARE = 0.8  # of the deadline, for the daemon's own lookup: it answers before we give up


class PeerStore:
    """Keys here are shared keys (`KeyInputs.shared_key`), not local ones."""

    name = "peer"

    def __init__(self, socket_path: str, timeout_ms: float, now: float) -> None:
        self.socket_path, self.timeout_ms, self.now = socket_path, timeout_ms, now
        self.source = ""  # which tier served the last hit: daemon, peer or ipfs
        self.answered = False  # whether a daemon replied at all (a miss there is worth counting)

    @classmethod
    def for_settings(cls, settings: Settings, env: Mapping[str, str]) -> PeerStore:
        return cls(client.socket_path(settings.cache_dir, env), settings.peer_timeout_ms, settings.now())

    def get(self, key: str) -> Entry | None:
        message = protocol.get(key, self.now, self.timeout_ms * DAEMON_SHARE)
        reply = client.request(self.socket_path, message, self.timeout_ms / 1000)
        self.answered = reply is not None
        if reply is None or reply.op != protocol.FOUND:
            return None
        try:
            entry = Entry.from_bytes(reply.body, key)
        except CorruptEntry:
            return None
        self.source = str(reply.fields.get("tier") or self.name)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        """Hand the entry over; sharing it happens in the daemon, after we have gone."""
        client.send(self.socket_path, protocol.put(key, entry.to_bytes()), self.timeout_ms / 1000)
