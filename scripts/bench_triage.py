"""Triage over the sample crash corpus: the share of crashes that end in a verified draft PR, and the time
from the filed issue to the PR. Called by the main bench script as `run(results)`; runnable alone too."""

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

from fakehub import FakeHub  # noqa: E402
from triage_world import REPO, SAMPLES, make_world  # noqa: E402

from autoheal.triage.cli import triage  # noqa: E402

CORPUS = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())


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


def one(sample: str, scratch: Path) -> tuple[bool, float, float]:
    """(ended in a verified draft PR, ms from issue to PR or analysis, ms the crash and its filing took)."""
    with FakeHub(mode="plain") as hub:
        world = make_world(hub, scratch / sample, sample)
        with environment(world.env()):
            started = time.perf_counter()
            number = world.crash()
            filed = time.perf_counter()
            with redirect_stdout(StringIO()):  # triage says what it did; the bench reports numbers
                triage(issue=number, workdir=str(world.ci))
            done = time.perf_counter()
        pulls = [i for i in hub.state.get_repo(REPO).issues.values() if i.pull and f"Fixes #{number}" in i.body]
        verified = bool(pulls) and pulls[0].pull.draft and "**verified**" in pulls[0].body
        return verified, (done - filed) * 1000, (filed - started) * 1000


def run(results: list[dict]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-triage-") as scratch:
        outcomes = {sample: one(sample, Path(scratch)) for sample in CORPUS}
    to_pr = [ms for ok, ms, _ in outcomes.values() if ok]
    crash = statistics.median(ms for _, _, ms in outcomes.values())
    verified = sum(ok for ok, _, _ in outcomes.values())
    results.append(
        {
            "what": "triage: issue -> verified draft PR",
            "how": f"autoheal triage over fakehub + a local bare remote, {len(to_pr)} sample crashes with a known fix "
            "(venv, reproduction before/after, commit, push, REST draft PR)",
            "median_ms": round(statistics.median(to_pr), 1) if to_pr else None,
            "anchor": f"the crash itself under the hook, filing its issue (median {crash:.0f} ms)",
            "ratio": round(statistics.median(to_pr) / crash, 2) if to_pr else None,
        }
    )
    results.append(
        {
            "what": "triage: share of sample crashes ending in a verified draft PR",
            "how": f"{verified} of {len(CORPUS)} ({', '.join(CORPUS)}); the rest get an analysis comment",
            "median_ms": None,
            "anchor": "all sample crashes",
            "ratio": round(verified / len(CORPUS), 2),
        }
    )


if __name__ == "__main__":
    measured: list[dict] = []
    run(measured)
    for row in measured:
        print(row)
