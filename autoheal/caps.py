"""How much of each report field is kept: every field is cut to its cap before it is scrubbed or rendered.

A program can put anything in an exception message (10 MB of JSON, a whole file); the report keeps enough
to diagnose the crash and a note of what was cut, so scrubbing and rendering stay fast whatever it put
there. The caps are documented in the README ("What is scrubbed").
"""

from __future__ import annotations

import re
from typing import Any

MESSAGE = 8_192  # the exception's message and each chained message
TRACEBACK = 32_768  # the printed traceback: its head and its tail (where the exception line is)
LOG_LINE = 2_000
LOGS = 32_768  # all log lines together; the newest are kept
ARGV_ITEM = 2_000
ARGV_ITEMS = 100
PATH = 1_024  # cwd, file names, the interpreter
NAME = 256  # exception type, module, function
SOURCE_LINE = 500
FRAMES = 100  # the outermost and innermost halves
CHAIN = 10
TEXT = 2_000  # any other string (environment values, platform, context values)
ITEMS = 100  # entries of a mapping or list (environment, packages, context)
DEPTH = 4  # nesting of context values

# A cut may fall between these; never inside a run of the characters tokens are made of.
_BOUNDARY = re.compile(r"[\s\"'`,;()\[\]{}<>|]")


def cap_text(text: str, limit: int, keep_tail: bool = False) -> str:
    """`text` cut to about `limit` characters, saying how much was cut.

    The cut never leaves part of a word: the piece of a token on either side of it is dropped too, so a
    secret split by the cut cannot escape redaction as halves that no rule recognises.
    """
    if len(text) <= limit:
        return text
    if not keep_tail:
        head = _before_word(text[:limit])
        return f"{head}… [{len(text) - len(head)} characters cut]"
    half = limit // 2
    head, tail = _before_word(text[:half]), _after_word(text[-half:])
    return f"{head}\n… [{len(text) - len(head) - len(tail)} characters cut] …\n{tail}"


def bound_field(name: str, value: Any) -> Any:
    """The value of report field `name` (plain data: str, list, dict) within its cap."""
    if name in ("message", "exc_type"):
        return cap_text(str(value), MESSAGE if name == "message" else NAME)
    if name == "traceback_text":
        return cap_text(str(value), TRACEBACK, keep_tail=True)
    if name == "logs":
        return _newest_lines(value)
    if name == "argv":
        return [cap_text(str(a), ARGV_ITEM) for a in list(value)[:ARGV_ITEMS]]
    if name == "cwd":
        return cap_text(str(value), PATH)
    if name == "frames":
        return [_frame(f) for f in _ends(list(value), FRAMES)]
    if name == "chain":
        return [_chained(c) for c in list(value)[:CHAIN]]
    return bound_value(value)


def bound_value(value: Any, depth: int = DEPTH) -> Any:
    """Strings, mappings and lists of any other field (environment, packages, context), bounded."""
    if isinstance(value, str):
        return cap_text(value, TEXT)
    if isinstance(value, dict):
        if depth <= 0:
            return "<nested too deep>"
        return {cap_text(str(k), NAME): bound_value(v, depth - 1) for k, v in list(value.items())[:ITEMS]}
    if isinstance(value, (list, tuple)):
        return [bound_value(v, depth - 1) for v in list(value)[:ITEMS]] if depth > 0 else ["<nested too deep>"]
    return value


def _frame(frame: Any) -> Any:
    if not isinstance(frame, dict):
        return frame
    caps = {"module": NAME, "function": NAME, "filename": PATH, "context_line": SOURCE_LINE}
    return {k: cap_text(v, caps[k]) if k in caps and isinstance(v, str) else v for k, v in frame.items()}


def _chained(chained: Any) -> Any:
    if not isinstance(chained, dict):
        return chained
    out = dict(chained)
    out["exc_type"] = cap_text(str(out.get("exc_type", "")), NAME)
    out["message"] = cap_text(str(out.get("message", "")), MESSAGE)
    out["frames"] = [_frame(f) for f in _ends(list(out.get("frames", [])), FRAMES)]
    return out


def _ends(items: list[Any], limit: int) -> list[Any]:
    """The first and last `limit // 2` items: where a crash starts and where it happens."""
    return items if len(items) <= limit else items[: limit // 2] + items[-(limit // 2) :]


def _newest_lines(lines: Any) -> list[str]:
    kept: list[str] = []
    total = 0
    for line in reversed(list(lines)[-1000:]):
        line = cap_text(str(line), LOG_LINE)
        total += len(line) + 1
        if total > LOGS:
            break
        kept.append(line)
    return kept[::-1]


def _before_word(head: str) -> str:
    """`head` without its last, possibly cut, token (at most 4 KB of it; a longer run goes whole)."""
    window = head[-4096:]
    spaces = [m.start() for m in _BOUNDARY.finditer(window)]
    return head[: len(head) - len(window) + spaces[-1] + 1] if spaces else head[: len(head) - len(window)]


def _after_word(tail: str) -> str:
    match = _BOUNDARY.search(tail, 0, 4096)
    return tail[match.start() :] if match else tail[4096:]
