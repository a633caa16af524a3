"""`make bench`: run every benchmark and write BENCHMARKS.md.

Each row names what was measured, how, its median, and its ratio against an anchor measured in the
same run on the same machine. Benchmarks measure; the test suite asserts behaviour.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts")]

SUITES = [
    ("ghcache: the shim", "bench_ghcache"),
    ("ghcache: the differential oracle", "bench_oracle"),
    ("ghcache: peers and IPFS", "bench_p2p"),
    ("autoheal: start-up and crash reporting", "bench_autoheal"),
    ("autoheal: triage", "bench_triage"),
    ("autoheal: scrubbing", "bench_scrub"),
]


def _cell(item: dict) -> str:
    if item.get("value") is not None:
        return str(item["value"])
    return "" if item.get("median_ms") is None else f"{item['median_ms']:.2f} ms"


def _ratio(item: dict) -> str:
    return "" if item.get("ratio") is None else f"{item['ratio']:.3f}x {item['anchor']}"


def main() -> None:
    only = set(sys.argv[1:])
    sections = []
    for title, module_name in SUITES:
        if only and module_name not in only:
            continue
        results: list[dict] = []
        started = time.monotonic()
        print(f"bench: {title} ...", flush=True)
        importlib.import_module(module_name).run(results)
        lines = [
            f"## {title}",
            "",
            f"_{time.monotonic() - started:.0f} s_",
            "",
            "| what | how | median | ratio to anchor |",
            "|---|---|---|---|",
        ]
        lines += [f"| {item['what']} | {item['how']} | {_cell(item)} | {_ratio(item)} |" for item in results]
        sections.append("\n".join(lines))
        print("\n".join(lines[4:]), flush=True)
    header = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d')}: {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, a 2-core machine. "
        "Whole-process wall-clock medians; every ratio's anchor was measured in the same run.",
        "",
    ]
    notes = ROOT / "scripts" / "bench_notes.md"  # reasoning from the figures, kept beside them
    if not only and notes.exists():
        sections.append(notes.read_text(encoding="utf-8").strip())
    (ROOT / "BENCHMARKS.md").write_text("\n".join(header) + "\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    print("wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
