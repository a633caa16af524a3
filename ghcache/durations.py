"""Parse the human units our environment variables accept ("90", "5m", "1h", "500M")."""

from __future__ import annotations

_TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_SIZE_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class BadValue(ValueError):
    """A setting that cannot be parsed; its message is one line meant for the user."""


def _parse(text: str, units: dict[str, int], what: str, name: str) -> float:
    raw = text.strip().lower()
    if raw.endswith("ib"):  # "500MiB"
        raw = raw[:-2]
    elif raw.endswith("b") and len(raw) > 1 and raw[-2].isalpha():  # "500MB"
        raw = raw[:-1]
    scale = 1
    if raw and raw[-1] in units:
        scale, raw = units[raw[-1]], raw[:-1]
    try:
        value = float(raw)
    except ValueError:
        raise BadValue(f"{name}={text!r} is not a {what} (examples: {_example(units)})") from None
    if value < 0 or value != value:
        raise BadValue(f"{name}={text!r} must not be negative")
    return value * scale


def _example(units: dict[str, int]) -> str:
    return "90s, 5m, 1h, 1d" if "h" in units else "1048576, 500M, 2G"


def seconds(text: str, name: str) -> float:
    """A duration in seconds; a bare number is seconds."""
    return _parse(text, _TIME_UNITS, "duration", name)


def size(text: str, name: str) -> int:
    """A size in bytes; K/M/G/T are powers of 1024."""
    return int(_parse(text, _SIZE_UNITS, "size", name))
