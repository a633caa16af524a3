"""Benchmark scrubbing: leaks per field and per format family on the corpus, and time per field size.

The anchor is sentry-python's default EventScrubber, run in the same process on the same samples placed
in the same fields of a Sentry event (exception values, breadcrumbs, extra, request, frames), so the
leak counts compare what each leaves in. `run(results)` appends rows to `results`.
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "scripts")]

from benchlib import row
from scrub.corpus import FAMILIES, FORMATS, Format, Sample
from sentry_sdk.scrubber import EventScrubber

from autoheal.pipeline import prepare
from autoheal.report import ChainedException, Frame, Report, render_body, to_dict
from autoheal.scrub import Scrubber

HOME = "/home/zorkuser"
FIELDS = ("env", "argv", "message", "chained message", "log lines", "cwd and paths", "MCP arguments", "JS fields")
SIZES = (("1 KB", 1_000), ("100 KB", 100_000), ("10 MB", 10_000_000))
RUNS = 5


def run(results: list[dict[str, Any]]) -> None:
    samples = [(fmt, fmt.sample()) for fmt in FORMATS]
    ours, theirs = _leaks(samples)
    total = len(samples)
    for name in FIELDS:
        results.append(_count_row(f"leaks in {name}", ours[name], theirs[name], total))
    for family in FAMILIES:
        n = sum(1 for fmt, _ in samples if fmt.family == family)
        a, b = ours[f"family:{family}"], theirs[f"family:{family}"]
        results.append(_count_row(f"leaks of {family} formats, all fields", a, b, n * len(FIELDS)))
    results.append(
        _count_row(
            "leaks, every field and format",
            sum(ours[f] for f in FIELDS),
            sum(theirs[f] for f in FIELDS),
            total * len(FIELDS),
        )
    )
    for label, size in SIZES:
        report = _sized_report(size)
        event = _event(report)
        scrubber = Scrubber(home=HOME, user="zorkuser")
        ours_ms = _median_ms(lambda r=report, s=scrubber: prepare(r, s))
        copies = iter([copy.deepcopy(event) for _ in range(RUNS)])  # scrub_event edits in place; copied untimed
        theirs_ms = _median_ms(lambda c=copies: EventScrubber().scrub_event(next(c)))
        how = f"pipeline.prepare (cap + scrub + fingerprint) of a report with a {label} message and {label} of logs"
        results.append(row(f"scrub a {label} field", how, ours_ms, "sentry EventScrubber, same event", theirs_ms))


def _count_row(what: str, ours: int, theirs: int, total: int) -> dict[str, Any]:
    how = f"{len(FORMATS)}-format corpus (tests/scrub/corpus.py); leaked cores out of {total} placements"
    return row(what, how, None, "", None, value=f"autoheal {ours} / sentry-python EventScrubber {theirs}")


def _leaks(samples: list[tuple[Format, Sample]]) -> tuple[Counter[str], Counter[str]]:
    """Per field and per family (`family:NAME`): how many placed samples kept their core, autoheal and Sentry."""
    ours: Counter[str] = Counter()
    theirs: Counter[str] = Counter()
    for fmt, sample in samples:
        report = _report(sample)
        clean = prepare(report, Scrubber(home=HOME, user="zorkuser"))
        event = _event(report)
        EventScrubber().scrub_event(event)
        for name in FIELDS:
            for counter, leaked in (
                (ours, sample.core in _ours(clean, name)),
                (theirs, sample.core in _theirs(event, name)),
            ):
                counter[name] += leaked
                counter[f"family:{fmt.family}"] += leaked
    return ours, theirs


def _report(sample: Sample) -> Report:
    text = sample.text
    segment = text if "/" not in text and "\n" not in text else "x"
    cwd = f"{HOME}/work/{segment}"
    frame = Frame("app", "main", f"{cwd}/app.py", 3, True, "load()")
    return Report(
        source="cli-error",
        exc_type="RuntimeError",
        message=f"calling the service failed: {text}",
        frames=[frame],
        chain=[ChainedException("ValueError", f"bad config {text}", [frame], "cause")],
        traceback_text="",
        logs=[f"INFO:svc:connecting with {line}" for line in text.splitlines()],
        argv=[f"{cwd}/app.py", text],
        cwd=cwd,
        env={"SERVICE_URL": text},
        context={
            "arguments": {"query": text, "api_key": text},
            "js": {"message": text, "stack": f"Error: {text}\n at f (app.js:1:2)", "userAgent": text},
        },
    )


def _ours(report: Report, name: str) -> str:
    data = to_dict(report)
    parts = {
        "env": [data["env"]],
        "argv": [data["argv"]],
        "message": [data["message"]],
        "chained message": [data["chain"][0]["message"]],
        "log lines": [data["logs"]],
        "cwd and paths": [data["cwd"], data["frames"][0]["filename"]],
        "MCP arguments": [data["context"]["arguments"]],
        "JS fields": [data["context"]["js"]],
    }[name]
    return repr(parts) + (render_body(report) if name == "message" else "")


def _event(report: Report) -> dict[str, Any]:
    """The report's fields where a Sentry SDK puts them."""
    frame = report.frames[0]
    return {
        "exception": {
            "values": [
                {"type": "ValueError", "value": report.chain[0].message if report.chain else ""},
                {
                    "type": report.exc_type,
                    "value": report.message,
                    "stacktrace": {
                        "frames": [
                            {"filename": frame.filename, "abs_path": frame.filename, "function": "main", "vars": {}}
                        ]
                    },
                },
            ]
        },
        "breadcrumbs": {"values": [{"category": "log", "message": line, "data": {}} for line in report.logs]},
        "extra": {
            "sys.argv": list(report.argv),
            "env": dict(report.env),
            "cwd": report.cwd,
            "mcp_arguments": dict(report.context.get("arguments", {})),
        },
        "request": {"headers": {"User-Agent": str(report.context.get("js", {}).get("userAgent", ""))}, "data": {}},
        "contexts": {"js": dict(report.context.get("js", {}))},
    }


def _theirs(event: dict[str, Any], name: str) -> str:
    values = event["exception"]["values"]
    parts = {
        "env": event["extra"]["env"],
        "argv": event["extra"]["sys.argv"],
        "message": values[1]["value"],
        "chained message": values[0]["value"],
        "log lines": [b["message"] for b in event["breadcrumbs"]["values"]],
        "cwd and paths": [event["extra"]["cwd"], values[1]["stacktrace"]["frames"][0]["abs_path"]],
        "MCP arguments": event["extra"]["mcp_arguments"],
        "JS fields": [event["contexts"]["js"], event["request"]["headers"]],
    }[name]
    return repr(parts)


def _sized_report(size: int) -> Report:
    """A field of `size` characters: ordinary log text with a corpus sample every ~2 KB."""
    chunk = []
    for fmt in FORMATS:
        chunk.append("INFO worker processed batch 1234 in 56 ms, next at /srv/app/queue.py:88 " * 20)
        chunk.append(fmt.sample().text)
    text = " ".join(chunk)
    text = (text * (size // len(text) + 1))[:size]
    lines = [text[i : i + 200] for i in range(0, min(size, 1_000_000), 200)]
    frame = Frame("app", "main", "/srv/app/app.py", 3, True, "load()")
    return Report(source="cli-error", exc_type="RuntimeError", message=text, frames=[frame], logs=lines, cwd="/srv")


def _median_ms(fn: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


if __name__ == "__main__":
    rows: list[dict[str, Any]] = []
    run(rows)
    for item in rows:
        print(item["what"], "|", item.get("value") or f"{item['median_ms']} ms ({item['ratio']}x {item['anchor']})")
