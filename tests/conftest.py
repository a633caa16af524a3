"""Shared fixtures: the built zipapps and the real interpreter the launchers should use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT


@pytest.fixture(scope="session")
def zipapps() -> Path:
    """Build bin/*.pyz from the working tree once per test session; returns bin/."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_zipapps.py")], check=True, stdout=subprocess.DEVNULL)
    return ROOT / "bin"


# The session-wide fakehub contract check (tests/contract/plugin.py): hooks are found here by name.
from contract.plugin import pytest_configure, pytest_sessionfinish, pytest_terminal_summary  # noqa: E402,F401
