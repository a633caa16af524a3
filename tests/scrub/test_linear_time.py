"""Every pattern the scrubber, the fingerprint and the JS stack parser run is linear in its input.

Each pattern meets adversarial inputs (repeated separators, `a-a-a-…` runs, nested and escaped quotes,
and every corpus format repeated with its last character cut, the near-miss a backtracking engine retries
from every position); its worst one at 10 KB is then timed at 1 KB, 10 KB and 100 KB. Linear work grows
10x per step, quadratic 100x: a step of more than GROWTH fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from scrub.corpus import FORMATS

from autoheal import fingerprint, jsreport, secret_rules
from autoheal.scrub import Scrubber

GROWTH = 1000.0  # from 1 KB to 100 KB; linear is 100, quadratic 10,000
SIZES = (1_000, 10_000, 100_000)

SEEDS = [
    "=",
    ":",
    " ",
    "\t",
    ";",
    "&",
    "a-",
    "a_",
    "a.",
    "a=",
    "a:",
    "a: ",
    "-a",
    "--a ",
    "aA1",
    "a",
    "A",
    "0",
    "f0",
    '"',
    "'",
    '\\"',
    "\\",
    "\"'",
    '"a\\"',
    "'a\\'",
    "[",
    "[a",
    "{",
    "(",
    "%41",
    "%",
    "@",
    "a@",
    "://",
    "a://b:",
    "a://:",
    "x://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "https://a/?sig=",
    "?token=",
    "password=",
    'password: "',
    "password='",
    "token ",
    "Bearer ",
    "cookie:",
    "-p",
    "-pA",
    "sshpass -p ",
    "sshpass -o ",
    "machine a login b ",
    "curl -u a:",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN ",
    "eyJ",
    "eyJa.",
    "eyJaaaaaaaaa.aaaaaaaa.",
    "AKIA",
    "xoxb-",
    "sk-",
    "ghp_",
    "s.",
    "hvs.",
    "AIza",
    "0:AA",
    "1234567890:AA",
    "QUJD",
    "QUJD==",
    "a/",
    "A/a1",
    'File "/a/b',
    "at a (",
    "at a (b (",
    "a@b:1:",
    "1:1:",
    "'a",
    "0x",
    "aaaaaaaa-",
    "KeyError: ",
]


def adversaries() -> list[str]:
    near_misses = [fmt.sample().text[:-1] + " " for fmt in FORMATS]
    near_misses += [fmt.sample().text[:-1] for fmt in FORMATS]
    return SEEDS + near_misses


def grow(seed: str, size: int) -> str:
    return (seed * (size // len(seed) + 1))[:size]


def per_call(fn: Callable[[str], object], text: str, budget: float = 0.002) -> float:
    """Seconds per call: the best of three batches of at least `budget` seconds each."""
    best = float("inf")
    for _ in range(3):
        calls, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < budget or calls == 0:
            fn(text)
            calls += 1
        best = min(best, elapsed / calls)
    return best


def _scan(pattern: re.Pattern[str]) -> Callable[[str], object]:
    return lambda text: sum(1 for _ in pattern.finditer(text))


def _line_parser(text: str) -> object:
    return jsreport.parse_stack(text.replace("\n", " "))  # one long line: the worst case for a per-line regex


CASES: list[tuple[str, Callable[[str], object]]] = [
    *((f"secret_rules.{i}:{p.pattern[:40]}", _scan(p)) for i, p in enumerate(secret_rules.ALL_PATTERNS)),
    *((f"fingerprint.{i}", _scan(p)) for i, (p, _) in enumerate(fingerprint._MASKS)),
    *((f"jsreport.{name}", _scan(getattr(jsreport, name))) for name in ("_V8", "_GECKO", "_LINE_COL", "_ALIAS")),
    ("jsreport.parse_stack", _line_parser),
    ("Scrubber.scrub_text", Scrubber(known_secrets=["literal-secret"], home="/home/u", user="someone").scrub_text),
    ("Scrubber.scrub(list)", lambda text: Scrubber().scrub(text.split(" ")[:1000])),
    ("fingerprint.mask_message", fingerprint.mask_message),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[name for name, _ in CASES])
def test_pattern_is_linear_on_adversarial_input(name: str, fn: Callable[[str], object]):
    worst = max(adversaries(), key=lambda seed: per_call(fn, grow(seed, 5_000), budget=0.0))
    floor = 20e-6  # below this, a timer's noise is larger than the work
    for _attempt in range(3):
        times = [max(per_call(fn, grow(worst, size)), floor) for size in SIZES]
        if times[-1] / times[0] <= GROWTH:
            break
    assert times[-1] / times[0] <= GROWTH, f"{name}: seed {worst[:40]!r}: {[f'{t * 1e3:.2f} ms' for t in times]}"
