"""The peer tier as the shim sees it: the local daemon, asked over its Unix socket under a hard deadline.

Standard library only. The daemon does the network work (libp2p peers, IPFS) and the trust work
(sealing, verification, expiry); this side only carries entries to and from it. No daemon, a dead
one or a hung one all look the same here: a miss, after at most GH_CACHE_PEER_TIMEOUT_MS. A daemon
that shows within that time that it has the lookup (it acknowledges it, or it is waiting for a CPU,
as on a loaded machine) gets ANSWER_GRACE more to answer: that costs less than a fetch.

A miss also asks for the key's lease (distributed single-flight): if another runner is fetching
the same read right now, we wait for its entry, at most GH_CACHE_PEER_WAIT_MS, instead of asking
GitHub too. The daemon ends a lease whose fetcher fails or dies, so a wait ends early then.
"""

from __future__ import annotations

import os

from ..daemon import client, protocol
from ..daemon.files import PID_NAME
from ..daemon.settings import wait_ms
from ..entry import CorruptEntry, Entry

TYPE_CHECKING = False  # typing costs the shim milliseconds; annotations are never evaluated
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..config import Settings

DAEMON_SHARE = 0.8  # of the deadline, for the daemon's own lookup: it answers before we give up
ANSWER_GRACE = 1.0  # seconds past the deadline for a daemon that has the lookup: it searches within
# its share of the deadline, so a later answer means it was waiting for a CPU (a loaded machine)
WAIT_SLACK = 1.0  # seconds past GH_CACHE_PEER_WAIT_MS we give a daemon to say the wait is over


class PeerStore:
    """Keys here are shared keys (`KeyInputs.shared_key`), not local ones."""

    name = "peer"

    def __init__(
        self, socket_path: str, timeout_ms: float, clock: Callable[[], float], wait_ms: float = 0.0, pid_path: str = ""
    ) -> None:
        self.socket_path, self.timeout_ms, self.clock, self.wait_ms = socket_path, timeout_ms, clock, wait_ms
        self.pid_path = pid_path  # the daemon's pid file: a daemon waiting for a CPU gets ANSWER_GRACE too
        self.source = ""  # which tier served the last hit: daemon, peer or ipfs
        self.answered = False  # whether a daemon replied at all (a miss there is worth counting)
        self.waited_ms: float | None = None  # how long the last get waited for another runner's fetch

    @classmethod
    def for_settings(cls, settings: Settings, env: Mapping[str, str]) -> PeerStore:
        return cls(
            client.socket_path(settings.cache_dir, env),
            settings.peer_timeout_ms,
            settings.now,
            wait_ms(env),
            os.path.join(settings.cache_dir, PID_NAME),
        )

    def get(self, key: str) -> Entry | None:
        """The entry from the daemon's tiers, or from the runner that holds the key's lease once
        it has fetched it; None when we are to fetch it ourselves."""
        message = protocol.get(key, self.clock(), self.timeout_ms * DAEMON_SHARE, ack=True)
        runnable = (lambda: client.runnable(self.pid_path)) if self.pid_path else None
        deadline = self.timeout_ms / 1000
        reply = client.request(self.socket_path, message, deadline, deadline + ANSWER_GRACE, runnable)
        self.answered = reply is not None
        if reply is not None and reply.op == protocol.MISSING and self.wait_ms > 0:
            message = protocol.claim(key, self.clock(), self.wait_ms, os.getpid())
            reply = client.request(self.socket_path, message, self.wait_ms / 1000 + WAIT_SLACK)
            self.waited_ms = _milliseconds(reply.fields.get("waited_ms")) if reply is not None else None
        if reply is None or reply.op != protocol.FOUND:
            return None
        try:
            entry = Entry.from_bytes(reply.body, key)
        except CorruptEntry:
            return None
        self.source = str(reply.fields.get("tier") or self.name)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        """Hand the entry over; sharing it happens in the daemon, after we have gone. It also ends
        the key's lease if we held it: the runners waiting for it get this entry."""
        client.send(self.socket_path, protocol.put(key, entry.to_bytes()), self.timeout_ms / 1000)

    def invalidate(self, host: str, repo: str, classes: tuple[str, ...], when: float) -> None:
        """A write went through us: the daemon makes the namespace's copies of its reads stale too;
        a daemon that is down is told when it next starts (`daemon.pending`)."""
        sent = client.send(self.socket_path, protocol.invalidate(host, repo, classes, when), self.timeout_ms / 1000)
        if not sent and self.pid_path:
            from ..daemon import pending

            pending.queue(os.path.dirname(self.pid_path), host, repo, classes, when)


def _milliseconds(text: str | None) -> float | None:
    try:
        value = float(text or "nan")
    except ValueError:
        return None
    return value if 0 <= value < float("inf") else None
