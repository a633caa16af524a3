"""Paths shared by the test suites: the project root, the real interpreter and the real gh."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL_PYTHON = os.path.realpath(sys.executable)  # not a version-manager shell shim
REAL_GH = shutil.which("gh", path=str(Path(sys.executable).parent)) or shutil.which("gh")
