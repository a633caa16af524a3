"""Triage over the crash corpus (tests/triage/corpus.py): correct verified PRs, wrong PRs (the target is 0),
analyses, and the time from the filed issue to the PR. Called by the main bench script as `run(results)`;
runnable alone too. The `fast` cases by default (a few minutes); every case with BENCH_TRIAGE_FULL=1."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager, redirect_stdout
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "triage")]

from corpus import CASES, Case, fetch_wheels, make_case_world  # noqa: E402
from fakehub import FakeHub  # noqa: E402
from triage_world import REPO, git  # noqa: E402

from autoheal.triage.cli import triage  # noqa: E402


@contextmanager
def environment(values: dict[str, str]):
    """os.environ with `values` set and other GitHub settings removed, restored afterwards."""
    saved = dict(os.environ)
    for name in ("GH_TOKEN", "GITHUB_REPOSITORY", "AUTOHEAL_COPILOT", "AUTOHEAL_COPILOT_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def one(case: Case, scratch: Path, wheels: Path) -> tuple[str, float]:
    """(outcome, seconds from the filed issue to triage's end); outcome: "pr", "wrong-pr", "analysis", "missed"."""
    with FakeHub(mode="plain") as hub:
        world = make_case_world(hub, scratch / case.name, case, wheels)
        with environment(world.env()):
            number = world.crash()
            filed = time.perf_counter()
            with redirect_stdout(StringIO()):  # triage says what it did; the bench reports numbers
                triage(issue=number, workdir=str(world.ci))
            seconds = time.perf_counter() - filed
        repo = hub.state.get_repo(REPO)
        pulls = [i for i in repo.issues.values() if i.pull and i.pull.head_ref.startswith("autoheal/")]
        if not pulls:
            return ("analysis" if case.expect == "analysis" else "missed"), seconds
        branch = pulls[0].pull.head_ref
        right = (
            case.expect == "pr"
            and "**verified**" in pulls[0].body
            and git(world.remote, "diff", "--name-only", "main", branch) == case.path
            and case.contains.rstrip("\n") in git(world.remote, "show", f"{branch}:{case.path}")
        )
        return ("pr" if right else "wrong-pr"), seconds


def run(results: list[dict]) -> None:
    cases = CASES if os.environ.get("BENCH_TRIAGE_FULL") == "1" else [c for c in CASES if c.fast]
    with tempfile.TemporaryDirectory(prefix="bench-triage-") as scratch:
        wheels = fetch_wheels(Path(scratch) / "wheels")
        outcomes = {case.name: one(case, Path(scratch), wheels) for case in cases}
    count = {kind: sum(o == kind for o, _ in outcomes.values()) for kind in ("pr", "wrong-pr", "analysis", "missed")}
    to_pr = [s * 1000 for o, s in outcomes.values() if o == "pr"]
    expected_prs = sum(c.expect == "pr" for c in cases)
    results.append(
        {
            "what": "triage: issue -> verified draft PR (median over the corpus)",
            "how": f"autoheal triage over fakehub + a local bare remote, {len(to_pr)} corpus projects fixed (venv, "
            f"real install, reproduction before/after, commit, push, REST draft PR); "
            f"max {max(to_pr, default=0):.0f} ms",
            "median_ms": round(statistics.median(to_pr), 1) if to_pr else None,
        }
    )
    results.append(
        {
            "what": "triage: corpus outcomes",
            "value": f"{count['pr']}/{expected_prs} correct verified PRs, {count['wrong-pr']} wrong PRs, "
            f"{count['analysis']} analyses for {len(cases) - expected_prs} traps, {count['missed']} fixes missed",
            "how": f"{len(cases)} generated projects ({'all' if len(cases) == len(CASES) else 'fast subset'})",
        }
    )


if __name__ == "__main__":
    found: list[dict] = []
    run(found)
    for row in found:
        print(row)
