"""Which crashes are "the same": a pure hash over the exception type and the in-app stack.

Line numbers, addresses, paths and ids never enter the hash, so the fingerprint
survives edits that shift lines, other machines and other runs.  Other
languages pass their own `frame_key` (a JS frame has no Python module).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

from .report import Frame

_MASKS = (
    (re.compile(r"(['\"]).*?\1"), r"\1<s>\1"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s\\/:'\"]+)+[\\/]?"), "<path>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{6,}\b"), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)*"), "<n>"),
)


def python_frame_key(frame: Frame) -> str:
    return f"{frame.module}.{frame.function}"


def mask_message(message: str) -> str:
    """Replace the parts of a message that vary between occurrences (numbers, ids, paths, quoted values)."""
    text = " ".join(message.split())
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def fingerprint(
    exc_type: str,
    frames: Sequence[Frame],
    message: str = "",
    frame_key: Callable[[Frame], str] = python_frame_key,
) -> str:
    """Hex digest naming a crash; only in-app frames count (all frames when none is in-app)."""
    chosen = [f for f in frames if f.in_app] or list(frames)
    keys = _collapse_repeats([frame_key(f) for f in chosen])
    text = "\n".join([exc_type, mask_message(message), *keys])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _collapse_repeats(keys: list[str]) -> list[str]:
    """One entry per run of identical frames, so recursion depth does not split a crash in two."""
    return [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
