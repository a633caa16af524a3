"""The shape of a client error report: pure checks, so hostile input is refused before anything else sees it."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

KINDS = frozenset({"error", "unhandledrejection", "uncaughtexception", "manual", "retries-exhausted"})
RUNTIMES = frozenset({"browser", "node"})
MAX_FLAT_KEYS = 50


class Invalid(ValueError):
    """The payload is not a report; the message says which field, never echoes its value."""


def parse(body: bytes) -> dict[str, Any]:
    """Strict JSON (RFC 8259): UTF-8 without BOM, no NaN/Infinity, bounded nesting (RecursionError)."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise Invalid("body is not valid JSON") from exc
    return validate(value)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _text(limit: int, *, choices: frozenset[str] | None = None) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, str) or len(value) > limit or (choices is not None and value not in choices):
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates from "\ud800"
            return False
        return True

    return check


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= 1000


def _scalar(value: Any) -> bool:
    if value is None or type(value) in (bool, int):
        return type(value) is not int or abs(value) < 2**63
    if type(value) is float:
        return math.isfinite(value)
    return _text(200)(value)


def _flat(value: Any) -> bool:
    """A one-level map of short names to scalars: what the snippet sends for params and context."""
    return (
        isinstance(value, dict)
        and len(value) <= MAX_FLAT_KEYS
        and all(_text(50)(k) and _scalar(v) for k, v in value.items())
    )


FIELDS: dict[str, Callable[[Any], bool]] = {
    "v": lambda v: v == 1 and type(v) is int,
    "kind": _text(30, choices=KINDS),
    "runtime": _text(10, choices=RUNTIMES),
    "name": _text(200),
    "message": _text(2000),
    "stack": _text(16_000),
    "userAgent": _text(500),
    "platform": _text(100),
    "url": _text(2000),
    "tool": _text(200),
    "params": _flat,
    "retries": _count,
    "context": _flat,
    "timestamp": _text(40),
}
REQUIRED = ("name", "message")


def validate(value: Any) -> dict[str, Any]:
    """Return the report unchanged if every field is known and well-formed, else raise Invalid."""
    if not isinstance(value, dict):
        raise Invalid("report must be a JSON object")
    unknown = [k for k in value if k not in FIELDS]
    if unknown:
        raise Invalid(f"{len(unknown)} unknown field(s)")
    for name in REQUIRED:
        if name not in value:
            raise Invalid(f"missing field: {name}")
    for name, item in value.items():
        if not FIELDS[name](item):
            raise Invalid(f"bad field: {name}")
    return value
