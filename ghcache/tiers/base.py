"""The interface every cache tier implements; a fault inside any tier is a miss, never an error."""

from __future__ import annotations

from typing import Protocol

from ..entry import Entry


class Storage(Protocol):
    """What every tier offers. Freshness is the caller's decision; tiers store and return bytes."""

    name: str

    def get(self, key: str) -> Entry | None: ...

    def put(self, key: str, entry: Entry) -> None: ...

    def delete(self, key: str) -> None: ...
