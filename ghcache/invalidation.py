"""Writes make cached reads stale: a tombstone per (host, repo, data class) records when.

A read whose entry was fetched before the newest matching write is a miss. Checking two small
files is cheaper than finding and deleting every affected entry, and it also covers entries that
arrive later from peers.
"""

from __future__ import annotations

import os

from .digest import hexdigest
from .tiers.local import write_private_file

ANY_REPO = "*"


def _path(root: str, host: str, repo: str, data_class: str) -> str:
    return os.path.join(root, "invalidations", hexdigest(host, repo, data_class)[:32])


def mark(root: str, host: str, repo: str, classes: tuple[str, ...], now: float) -> None:
    """Record a write that may have changed `classes` of `repo` (ANY_REPO when unknown)."""
    for data_class in classes:
        write_private_file(_path(root, host, repo or ANY_REPO, data_class), repr(now).encode())


def _read_time(path: str) -> float:
    try:
        with open(path, "rb") as handle:
            return float(handle.read() or 0)
    except (OSError, ValueError):
        return 0.0


def last_write(root: str, host: str, repo: str, data_class: str) -> float:
    """When a write last made this repo's `data_class` reads stale (0.0 if never)."""
    return max(_read_time(_path(root, host, repo, data_class)), _read_time(_path(root, host, ANY_REPO, data_class)))
