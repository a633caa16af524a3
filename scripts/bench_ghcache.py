"""Benchmark the gh shim: a hit against gh's own cache, an uncached call and the interpreter's floor;
and a replay of a CI-like hour of gh reads, counting upstream requests with and without the cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "scripts")]

from benchlib import interleaved_medians, row, timed  # noqa: E402
from fakehub import FakeHub  # noqa: E402

RUNS = 30
UPSTREAM_LATENCY_MS = 300
PYTHON = os.path.realpath(sys.executable)
SHIM = str(ROOT / "shims" / "gh")


def real_gh() -> str:
    return shutil.which("gh", path=str(Path(sys.executable).parent)) or shutil.which("gh") or "gh"


def gh_env(hub: FakeHub, home: Path) -> dict[str, str]:
    env = {**os.environ, **hub.gh_env(home=home)}
    env.update({"PATH": os.pathsep.join([str(ROOT / "shims"), str(Path(real_gh()).parent), "/usr/bin", "/bin"]),
                "GH_CACHE_PYTHON": PYTHON, "GH_CACHE_DIR": str(home / "ghcache")})
    return env


def hit_latency(results: list[dict], work: Path) -> None:
    with FakeHub(mode="tls") as hub:
        env = gh_env(hub, work / "latency")
        gh = real_gh()
        target = ["api", "repos/octo/hello"]
        subprocess.run([SHIM, *target], env=env, capture_output=True, check=True)
        subprocess.run([gh, "api", "--cache", "1h", *target], env=env, capture_output=True, check=True)
        hub.set_latency(UPSTREAM_LATENCY_MS)
        medians = interleaved_medians({
            "floor": lambda: timed([PYTHON, "-S", "-E", "-c", "pass"]),
            "shim": lambda: timed([SHIM, *target], env),
            "gh cache": lambda: timed([gh, "api", "--cache", "1h", *target], env),
            "uncached": lambda: timed([gh, *target], env),
        }, RUNS)
        assert hub.upstream_count() == RUNS, "the shim and gh --cache hits must not reach fakehub"
    how = f"whole process, median of {RUNS} interleaved runs"
    gh_cached = "gh api --cache 1h (gh's own cache), hit"
    results += [
        row("ghcache shim hit: gh api repos/O/R", how, medians["shim"], gh_cached, medians["gh cache"]),
        row("ghcache shim hit: gh api repos/O/R", how, medians["shim"], "python3 -S -E -c pass (floor)",
            medians["floor"]),
        row(gh_cached, how, medians["gh cache"], gh_cached, medians["gh cache"]),
        row(f"uncached gh api ({UPSTREAM_LATENCY_MS} ms upstream latency)", how, medians["uncached"], gh_cached,
            medians["gh cache"]),
        row("python3 -S -E -c pass (floor)", how, medians["floor"], gh_cached, medians["gh cache"]),
    ]


def ci_workload(hub: FakeHub) -> list[tuple[float, list[str]]]:
    """A simulated hour of CI: a job every 3 minutes, each making 12 reads (>= 200 in all)."""
    repo_state = hub.state.get_repo("octo/hello")
    shas = [commit.sha for commit in repo_state.commits][:5]
    runs = [run.id for run in repo_state.runs][:5]
    calls: list[tuple[float, list[str]]] = []
    for job in range(20):
        at = job * 180.0
        repo = ["-R", "octo/hello"]
        calls += [(at, args) for args in (
            ["repo", "view", "octo/hello", "--json", "name,defaultBranchRef"],
            ["pr", "list", *repo], ["pr", "view", str(1 + 4 * (job % 5)), *repo],
            ["issue", "list", *repo, "--label", "bug"], ["issue", "view", str(2 + job % 3), *repo],
            ["run", "list", *repo, "--limit", "10"], ["run", "view", str(runs[job % len(runs)]), *repo],
            ["release", "list", *repo], ["label", "list", *repo],
            ["api", f"repos/octo/hello/commits/{shas[job % len(shas)]}"], ["api", "repos/octo/hello"],
            ["api", "repos/octo/hello/pulls?state=open"],
        )]
    return calls


def replay(results: list[dict], work: Path) -> None:
    counts = {}
    for label, program in (("without cache", real_gh()), ("with ghcache", SHIM)):
        with FakeHub(mode="tls") as hub:
            env = gh_env(hub, work / label.replace(" ", "-"))
            workload = ci_workload(hub)
            for at, args in workload:
                subprocess.run([program, *args], env={**env, "GH_CACHE_NOW": str(1_900_000_000 + at)},
                               capture_output=True, check=True)
            counts[label] = hub.upstream_count()
    how = (f"{len(workload)} gh reads over a simulated hour (a job every 3 min, 12 reads each: repo, PRs, "
           "issues, runs, releases, labels, commits, api), fakehub request log")
    saved = 1 - counts["with ghcache"] / counts["without cache"]
    results += [
        row("CI replay: upstream requests without cache", how, None, "same", None, str(counts["without cache"])),
        row("CI replay: upstream requests with ghcache", how, None, "without cache", None,
            f"{counts['with ghcache']} ({saved:.1%} fewer)"),
    ]


def run(results: list[dict]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-ghcache-") as tmp:
        hit_latency(results, Path(tmp))
        replay(results, Path(tmp))


if __name__ == "__main__":
    rows: list[dict] = []
    run(rows)
    for item in rows:
        print(item)
