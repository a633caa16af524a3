"""Fixtures that put the real gh behind the shim and point both at fakehub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from ghrig import GhRig, rig_env


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="tls") as running:
        yield running


@pytest.fixture
def rig(hub: FakeHub, tmp_path: Path, zipapps: Path) -> GhRig:
    home = tmp_path / "home"
    home.mkdir()
    return GhRig(hub, home, rig_env(hub, home, tmp_path / "cache"))
