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
RUNS_PER_HOUR, MATRIX, JOB_SPACING_S = 6, 12, 5  # the CI replay
UPSTREAM_LATENCY_MS = 300
PYTHON = os.path.realpath(sys.executable)
PORTABLE_SHIM = str(ROOT / "shims" / "gh")


def install_launcher(directory: Path) -> str:
    """The launcher `source shims/gh-cache.sh` installs: #! straight to the interpreter."""
    return subprocess.run(
        [PYTHON, str(ROOT / "bin" / "ghcache.pyz"), "install-shim", str(directory)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def real_gh() -> str:
    return shutil.which("gh", path=str(Path(sys.executable).parent)) or shutil.which("gh") or "gh"


def gh_env(hub: FakeHub, home: Path) -> dict[str, str]:
    env = {**os.environ, **hub.gh_env(home=home)}
    env.update(
        {
            "PATH": os.pathsep.join([str(ROOT / "shims"), str(Path(real_gh()).parent), "/usr/bin", "/bin"]),
            "GH_CACHE_PYTHON": PYTHON,
            "GH_CACHE_DIR": str(home / "ghcache"),
        }
    )
    return env


def hit_latency(results: list[dict], work: Path) -> None:
    with FakeHub(mode="tls") as hub:
        env = gh_env(hub, work / "latency")
        gh = real_gh()
        shim = install_launcher(work / "bin")
        target = ["api", "repos/octo/hello"]
        subprocess.run([shim, *target], env=env, capture_output=True, check=True)
        # A version-manager python3 first on PATH (a shell script that execs the real one, as pyenv's
        # does), and no GH_CACHE_PYTHON: shims/gh must start the interpreter `make zipapps` recorded.
        manager = work / "version-manager"
        manager.mkdir()
        (manager / "python3").write_text(f'#!/bin/bash\nexec "{PYTHON}" "$@"\n')
        (manager / "python3").chmod(0o755)
        managed = {key: value for key, value in env.items() if key != "GH_CACHE_PYTHON"}
        managed["PATH"] = os.pathsep.join([str(manager), env["PATH"]])
        subprocess.run([gh, "api", "--cache", "1h", *target[1:]], env=env, capture_output=True, check=True)
        hub.set_latency(UPSTREAM_LATENCY_MS)
        hub.clear_requests()
        medians = interleaved_medians(
            {
                "floor": lambda: timed([PYTHON, "-S", "-E", "-c", "pass"]),
                "shim": lambda: timed([shim, *target], env),
                "portable shim": lambda: timed([PORTABLE_SHIM, *target], env),
                "portable shim, managed python3": lambda: timed([PORTABLE_SHIM, *target], managed),
                "gh cache": lambda: timed([gh, "api", "--cache", "1h", *target[1:]], env),
                "uncached": lambda: timed([gh, *target], env),
            },
            RUNS,
        )
        assert hub.upstream_count() == RUNS, "the shim and gh --cache hits must not reach fakehub"
    how = f"whole process, median of {RUNS} interleaved runs"
    gh_cached = "gh api --cache 1h (gh's own cache), hit"
    results += [
        row("ghcache shim hit: gh api repos/O/R", how, medians["shim"], gh_cached, medians["gh cache"]),
        row(
            "ghcache shim hit: gh api repos/O/R",
            how,
            medians["shim"],
            "python3 -S -E -c pass (floor)",
            medians["floor"],
        ),
        row(
            "ghcache portable shim (shims/gh, via /bin/sh) hit",
            how,
            medians["portable shim"],
            "python3 -S -E -c pass (floor)",
            medians["floor"],
        ),
        row(
            "ghcache portable shim hit, a version-manager python3 first on PATH",
            how,
            medians["portable shim, managed python3"],
            "python3 -S -E -c pass (floor)",
            medians["floor"],
        ),
        row(
            "ghcache portable shim hit, a version-manager python3 first on PATH",
            how,
            medians["portable shim, managed python3"],
            gh_cached,
            medians["gh cache"],
        ),
        row(gh_cached, how, medians["gh cache"], gh_cached, medians["gh cache"]),
        row(
            f"uncached gh api ({UPSTREAM_LATENCY_MS} ms upstream latency)",
            how,
            medians["uncached"],
            gh_cached,
            medians["gh cache"],
        ),
        row("python3 -S -E -c pass (floor)", how, medians["floor"], gh_cached, medians["gh cache"]),
    ]


def ci_workload(hub: FakeHub) -> list[tuple[float, list[str]]]:
    """A simulated hour of CI on one repository: a push every 10 minutes starts a workflow whose 3 x 4
    matrix of jobs starts within a minute; each job asks gh what a CI job typically asks (the repository,
    the PR it builds and its labels, recent runs of the workflow, the pushed commit, the latest release)."""
    repo_state = hub.state.get_repo("octo/hello")
    shas = [commit.sha for commit in repo_state.commits]
    repo = ["-R", "octo/hello"]
    calls: list[tuple[float, list[str]]] = []
    for push in range(RUNS_PER_HOUR):
        sha, pull = shas[push % len(shas)], str(1 + 4 * (push % 5))
        for job in range(MATRIX):
            at = push * 600.0 + job * JOB_SPACING_S
            calls += [
                (at, args)
                for args in (
                    ["repo", "view", "octo/hello", "--json", "name,defaultBranchRef"],
                    ["pr", "view", pull, *repo, "--json", "number,labels,headRefName"],
                    ["run", "list", *repo, "--limit", "5"],
                    ["api", f"repos/octo/hello/commits/{sha}"],
                    ["release", "view", *repo, "--json", "tagName"],
                )
            ]
    return calls


def replay(results: list[dict], work: Path) -> None:
    counts = {}
    for label, program in (("without cache", real_gh()), ("with ghcache", install_launcher(work / "bin"))):
        with FakeHub(mode="tls") as hub:
            env = gh_env(hub, work / label.replace(" ", "-"))
            workload = ci_workload(hub)
            for at, args in workload:
                subprocess.run(
                    [program, *args],
                    env={**env, "GH_CACHE_NOW": str(1_900_000_000 + at)},
                    capture_output=True,
                    check=True,
                )
            counts[label] = hub.upstream_count()
    how = (
        f"{len(workload)} gh reads in a simulated hour: {RUNS_PER_HOUR} pushes, each a {MATRIX}-job matrix "
        f"starting {JOB_SPACING_S} s apart, 5 reads per job (repo, PR + labels, recent runs, pushed commit, "
        "latest release); requests counted by fakehub"
    )
    saved = 1 - counts["with ghcache"] / counts["without cache"]
    results += [
        row("CI replay: upstream requests without cache", how, None, "same", None, str(counts["without cache"])),
        row(
            "CI replay: upstream requests with ghcache",
            how,
            None,
            "without cache",
            None,
            f"{counts['with ghcache']} ({saved:.1%} fewer)",
        ),
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
