"""What the shim prints itself: a replayed entry, byte for byte, and its own one-line notices."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from .entry import Entry


def warn(message: str) -> None:
    try:
        os.write(2, f"ghcache: {message}\n".encode())
    except OSError:
        pass


def replay(entry: Entry) -> int:
    """Write what gh printed, byte for byte and in its order; a closed pipe ends us like gh (SIGPIPE)."""
    try:
        for fd, data in entry.segments():
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
    except BrokenPipeError:
        import signal

        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    return entry.exit_code
