"""The pattern library: each module detects one common crash and proposes a deterministic patch for it."""

from __future__ import annotations

from pathlib import Path

from autoheal.report import Report

from . import connection_refused, missing_env, missing_module, missing_output_dir
from .fix import Fix

__all__ = ["Fix", "propose"]

PATTERNS = (missing_module, missing_env, connection_refused, missing_output_dir)


def propose(report: Report, tree: Path) -> Fix | None:
    """The first pattern's fix for this crash in the checkout `tree`, or None when no pattern knows one."""
    for pattern in PATTERNS:
        fix: Fix | None = pattern.propose(report, tree)
        if fix is not None:
            return fix
    return None
