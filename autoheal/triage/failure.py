"""Is a re-run's crash the reported one? Same type, same message, same crashing frame: the same fingerprint.

Comparing only the exception type lets a different failure "verify" a fix (a `KeyError` from a config
dict is not the `KeyError` of a missing environment variable), so every part of the fingerprint is checked,
and the message is compared as written, not masked, except for what differs between machines: the
working directory, numbers (ports, pids, ids) and what the reporter's scrubber redacted.
"""

from __future__ import annotations

import re
from pathlib import Path

from autoheal.fingerprint import fingerprint
from autoheal.report import Frame, Report
from autoheal.scrub import REDACTED

from .crash import innermost_app_frame, locate
from .rerun import Crash

_NUMBER = re.compile(r"0x[0-9a-fA-F]+|\d+")


def difference(report: Report, crash: Crash | None, tree: Path, cwd: Path) -> str | None:
    """Why `crash` (recorded in `tree`, run in `cwd`) is not the reported failure; None when it is."""
    if crash is None:
        return f"the program did not raise the recorded {report.exc_type}"
    if crash.exc_type != report.exc_type:
        return f"it raised {crash.exc_type}, not the recorded {report.exc_type}"
    if not same_text(_local(report.message, report.cwd, "<cwd>"), _local(crash.message, str(cwd), "<cwd>")):
        return f"the message differs: {crash.message[:200]!r} instead of {report.message[:200]!r}"
    if fingerprint(crash.exc_type, crash.frames, report.message) != report.fingerprint:
        return "the call path differs from the recorded one (a different fingerprint)"
    return _frame_difference(report, crash, tree)


def same_text(recorded: str, seen: str) -> bool:
    """Equal up to whitespace and numbers; each `[REDACTED]` in the recorded text stands for any text."""
    want, got = _NUMBER.sub("0", " ".join(recorded.split())), _NUMBER.sub("0", " ".join(seen.split()))
    pieces = want.split(REDACTED)
    if len(pieces) == 1:
        return want == got
    if not (got.startswith(pieces[0]) and got.endswith(pieces[-1])) or len(got) < len(pieces[0]) + len(pieces[-1]):
        return False
    at, end = len(pieces[0]), len(got) - len(pieces[-1])
    for piece in pieces[1:-1]:  # greedy leftmost matching is exact for `*`-only wildcards
        found = got.find(piece, at, end)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def _frame_difference(report: Report, crash: Crash, tree: Path) -> str | None:
    """The innermost in-app frame must be the same file, function and line of code."""
    recorded, seen = innermost_app_frame(report), _innermost(crash.frames)
    if recorded is None or seen is None:
        return None if recorded is None and seen is None else "the crash happened in different code"
    want, got = recorded[1], seen
    path = locate(tree, want.filename, report.cwd)
    if path is None or Path(got.filename).resolve() != path:
        return f"it crashed in {got.filename}, not in the recorded {want.filename}"
    if want.function != got.function:
        return f"it crashed in {got.function}, not in the recorded {want.function}"
    if want.context_line and not same_text(want.context_line, got.context_line or ""):
        return f"it crashed on {got.context_line!r}, not on the recorded {want.context_line!r}"
    return None


def _innermost(frames: list[Frame]) -> Frame | None:
    return next((f for f in reversed(frames) if f.in_app), None)


def _local(text: str, cwd: str, marker: str) -> str:
    """The working directory written as `marker`, so absolute paths under it compare across machines."""
    return text.replace(cwd.rstrip("/") + "/", marker + "/") if len(cwd) > 1 else text
