"""What the test suites share: the project root, the real interpreter and gh, and the one poll loop."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
REAL_PYTHON = os.path.realpath(sys.executable)  # not a version-manager shell shim
REAL_GH = shutil.which("gh", path=str(Path(sys.executable).parent)) or shutil.which("gh")

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.02) -> T:
    """Poll `predicate` until it returns something truthy (that value) or `timeout` seconds pass (its last
    value): tests wait for a condition, bounded, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
