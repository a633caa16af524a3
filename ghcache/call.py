"""What the hit path hands to the miss path: one cacheable invocation (Call), and the two ways the
shim prints on its own, a replayed entry byte for byte and a one-line notice."""

from __future__ import annotations

from . import fastos, invalidation
from .runner import write_all

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from typing import TypeGuard

    from .config import Settings
    from .decision import Decision
    from .entry import Entry
    from .keys import KeyInputs
    from .tiers.local import LocalStore


class Call:
    """Everything known about one cacheable invocation: settings, the real gh, the decision, the key."""

    __slots__ = ("settings", "real_gh", "args", "decision", "inputs", "key", "store")

    def __init__(
        self,
        settings: Settings,
        real_gh: str,
        args: list[str],
        decision: Decision,
        inputs: KeyInputs,
        key: str,
        store: LocalStore,
    ) -> None:
        self.settings = settings
        self.real_gh = real_gh
        self.args = args
        self.decision = decision
        self.inputs = inputs
        self.key = key
        self.store = store

    def usable(self, entry: Entry | None, now: float) -> TypeGuard[Entry]:
        """Fresh, and fetched after the last write that could have changed it."""
        if entry is None or not entry.fresh(now):
            return False
        return entry.created >= invalidation.last_write(
            self.settings.cache_dir,
            self.inputs.host,
            self.inputs.repo,
            self.decision.data_class or "api",
            self.decision.host_wide,
        )


def warn(message: str) -> None:
    try:
        fastos.write(2, f"ghcache: {message}\n".encode())
    except OSError:
        pass


def replay(entry: Entry) -> int:
    """Write what gh printed, byte for byte and in its order; a closed pipe ends us like gh (SIGPIPE)."""
    for fd, data in entry.segments():
        if not write_all(fd, data):
            import signal

            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            fastos.kill(fastos.getpid(), signal.SIGPIPE)
    return entry.exit_code
