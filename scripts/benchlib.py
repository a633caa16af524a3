"""What every benchmark shares: whole-process timing, interleaved medians, and the result row."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable


def timed(command: list[str], env: dict | None = None, cwd: str | None = None) -> float:
    """Milliseconds for one whole process, output discarded."""
    started = time.perf_counter()
    subprocess.run(command, env=env or None, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def interleaved_medians(cases: dict[str, Callable[[], float]], runs: int) -> dict[str, float]:
    """Median of each case over `runs` rounds, one of each per round, so drift hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            samples[name].append(case())
    return {name: statistics.median(values) for name, values in samples.items()}


def row(
    what: str, how: str, median_ms: float | None, anchor: str, anchor_ms: float | None, value: str | None = None
) -> dict:
    """One line of BENCHMARKS.md; `value` replaces the time for counts."""
    ratio = round(median_ms / anchor_ms, 3) if median_ms is not None and anchor_ms else None
    return {
        "what": what,
        "how": how,
        "median_ms": None if median_ms is None else round(median_ms, 2),
        "anchor": anchor,
        "ratio": ratio,
        "value": value,
    }
