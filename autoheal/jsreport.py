"""A validated JS error payload (browser or Node) as the core's Report, with a JS-aware stack parser.

JS stacks list the innermost call first; Reports list the outermost first, like Python tracebacks.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from autoheal.report import PUBLIC_ENDPOINT, Frame, Report

SOURCE = "js-error"
_V8 = re.compile(r"^\s*at (?:(?P<fn>.+?) \()?(?P<loc>[^()]+?)\)?$")
_GECKO = re.compile(r"^\s*(?P<fn>[^@\s]*)@(?P<loc>.+)$")
_LINE_COL = re.compile(r"^(?P<file>.*?)(?::(?P<line>\d+))?(?::\d+)?$")
_ALIAS = re.compile(r" \[as [^\]]*\]$")
_NOT_APP = ("node:", "internal/", "native", "<anonymous>", "chrome-extension:", "moz-extension:", "safari-extension:")


def bare_url(url: str) -> str:
    """No query string, no fragment: they carry session ids and change between loads."""
    return re.split(r"[?#]", url, maxsplit=1)[0]


def basename(location: str) -> str:
    return bare_url(location).rstrip("/").rsplit("/", 1)[-1] or location


def parse_stack(stack: str) -> list[Frame]:
    """V8 (`at fn (file:1:2)`) and Gecko/WebKit (`fn@file:1:2`) lines; other lines are skipped."""
    frames = []
    for line in stack.splitlines():
        match = _V8.match(line) or (_GECKO.match(line) if "@" in line else None)
        if match:
            frames.append(_frame(match.group("fn") or "", match.group("loc")))
    frames.reverse()
    return frames


def _frame(function: str, location: str) -> Frame:
    where = _LINE_COL.match(location.strip())
    filename = bare_url(where.group("file") if where else location)
    function = _ALIAS.sub("", function.strip()).removeprefix("async ").removeprefix("new ") or "<anonymous>"
    return Frame(
        module=basename(filename),
        function=function,
        filename=filename,
        lineno=int(where.group("line") or 0) if where else 0,
        in_app=not (filename.startswith(_NOT_APP) or "/node_modules/" in filename),
    )


def js_frame_key(frame: Frame) -> str:
    """The fingerprint's view of a JS frame: function and file basename, no line, column or query."""
    return f"{frame.function}@{basename(frame.filename)}"


def to_report(payload: dict[str, Any]) -> Report:
    """Unscrubbed, like `capture_exception`'s: the pipeline scrubs and fingerprints it."""
    runtime = payload.get("runtime", "browser")
    context = dict(payload.get("context") or {})
    context.update(
        (key, payload[key])
        for key in ("kind", "url", "userAgent", "tool", "params", "retries")
        if payload.get(key) not in (None, "", {})
    )
    if "url" in context:
        context["url"] = bare_url(context["url"])  # a page's query and fragment carry session ids and tokens
    return Report(
        source=SOURCE,
        exc_type=payload["name"] or "Error",
        message=payload["message"],
        frames=parse_stack(payload.get("stack", "")),
        traceback_text=payload.get("stack") or f"{payload['name']}: {payload['message']}",
        runtime={"implementation": runtime, "version": payload.get("userAgent", "")},
        platform=payload.get("platform", ""),
        timestamp=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        trace_id=uuid.uuid4().hex,
        context=context,
        provenance=PUBLIC_ENDPOINT,  # anyone who can reach the endpoint wrote this: triage never runs it
    )
