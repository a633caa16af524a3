"""TOML reading for 3.10 and later: the standard library's `tomllib` (3.11+), else the `tomli` backport."""

from __future__ import annotations

import importlib
import sys
from typing import Any, cast


def loads(text: str) -> dict[str, Any]:
    """Parse TOML; raises ValueError (TOMLDecodeError is one) on bad input, ImportError without a parser."""
    parser = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    return cast(dict[str, Any], parser.loads(text))
