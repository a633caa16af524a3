"""Hit/miss counters per tier: an append-only event log (cheap on the hit path), summed on demand."""

from __future__ import annotations

from . import fastos

LOG_NAME = "stats.log"
SUMMARY_NAME = "stats.json"
COMPACTING = ".compacting"


def record(root: str, event: str, tier: str, nbytes: int = 0, ms: float = 0.0) -> None:
    """Append one event; a failure to count never fails the command."""
    line = f"{event} {tier} {nbytes} {ms:.2f}\n".encode()
    try:
        fd = fastos.open(
            fastos.join(root, LOG_NAME), fastos.O_WRONLY | fastos.O_APPEND | fastos.O_CREAT | fastos.O_NOFOLLOW, 0o600
        )
    except OSError:
        return
    try:
        fastos.write(fd, line)  # one small O_APPEND write: atomic between processes
    except OSError:
        pass
    finally:
        fastos.close(fd)


class Counter:
    __slots__ = ("count", "nbytes", "total_ms")

    def __init__(self) -> None:
        self.count = 0
        self.nbytes = 0
        self.total_ms = 0.0

    def add(self, count: int, nbytes: int, total_ms: float) -> None:
        self.count += count
        self.nbytes += nbytes
        self.total_ms += total_ms


class Summary:
    """Counters keyed "event tier", e.g. "hit local", "miss local", "run upstream"."""

    def __init__(self) -> None:
        self.counters: dict[str, Counter] = {}

    def add(self, name: str, count: int = 1, nbytes: int = 0, total_ms: float = 0.0) -> None:
        self.counters.setdefault(name, Counter()).add(count, nbytes, total_ms)

    def get(self, name: str) -> Counter:
        return self.counters.get(name, Counter())

    def to_json(self) -> dict[str, dict[str, float]]:
        return {
            name: {"count": counter.count, "nbytes": counter.nbytes, "total_ms": counter.total_ms}
            for name, counter in sorted(self.counters.items())
        }


def _load_summary(root: str) -> Summary:
    import json

    summary = Summary()
    try:
        with open(fastos.join(root, SUMMARY_NAME), encoding="utf-8") as handle:
            for name, values in json.load(handle).items():
                summary.add(name, int(values["count"]), int(values["nbytes"]), float(values["total_ms"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return summary


def _add_events(summary: Summary, path: str) -> None:
    """Count whole lines only: a line still being appended has no newline yet."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) != 4 or not line.endswith("\n"):
                    continue
                try:
                    summary.add(f"{parts[0]} {parts[1]}", 1, int(parts[2]), float(parts[3]))
                except ValueError:
                    continue
    except OSError:
        pass


def load(root: str) -> Summary:
    """The compacted summary plus every event logged since."""
    summary = _load_summary(root)
    for name in (LOG_NAME + COMPACTING, LOG_NAME):
        _add_events(summary, fastos.join(root, name))
    return summary


def compact(root: str) -> None:
    """Fold the event log into the summary file, under a lock so no event is counted twice or lost."""
    import fcntl
    import json

    from .tiers.local import write_private_file

    lock_fd = fastos.open(fastos.join(root, "stats.lock"), fastos.O_RDWR | fastos.O_CREAT | fastos.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        log = fastos.join(root, LOG_NAME)
        moved = log + COMPACTING
        if not fastos.exists(moved):
            try:
                fastos.replace(log, moved)  # new events go to a fresh log from here on
            except FileNotFoundError:
                return
        summary = _load_summary(root)
        _add_events(summary, moved)
        write_private_file(fastos.join(root, SUMMARY_NAME), json.dumps(summary.to_json()).encode())
        fastos.unlink(moved)
    finally:
        fastos.close(lock_fd)


def reset(root: str) -> None:
    for name in (LOG_NAME, LOG_NAME + COMPACTING, SUMMARY_NAME):
        try:
            fastos.unlink(fastos.join(root, name))
        except OSError:
            pass
