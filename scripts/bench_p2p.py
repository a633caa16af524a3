"""The network tiers: whole-call latency of a hit served by a peer (libp2p) and by IPFS, against the
local hit and the uncached call (300 ms injected upstream latency); and a CI matrix of N = 2, 4,
8 and 16 runners (one daemon each, one mesh) running the same job one after another and all at
once at the default peer deadline: upstream gh runs and HTTP requests against the ideal, peer-hit
p50/p95, how long runners waited for another runner's fetch of the same read (p50/p95), daemon
RSS and CPU, and how long a write takes to reach every runner; and how long a runner whose daemon was
down (SIGTERM, SIGKILL) or stopped (SIGSTOP) during a write takes, once back, to hold that write's
tombstones (catch-up). Called by the main
bench script as `run(results)`; runnable alone too. Real processes on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "p2p"), str(ROOT / "scripts")]

from benchlib import interleaved_medians, row, timed  # noqa: E402
from fakehub import FakeHub  # noqa: E402
from p2prig import (  # noqa: E402
    Node,
    end_daemon,
    in_parallel,
    install_ipfs,
    ipfs_node,
    knows_writes_of,
    start_mesh,
    stop_all,
    wait_for,
)

RUNS = 25  # per case: with 7 the medians moved by several ms from run to run
LATENCY_MS = 300
SHIM = str(ROOT / "shims" / "gh")
CI_WORKLOAD = [  # the distinct reads of one CI job
    ("api", "repos/octo/hello/readme"),
    ("api", "repos/octo/hello/releases"),
    ("api", "repos/octo/hello/labels"),
    ("repo", "view", "octo/hello"),
    ("issue", "list", "-R", "octo/hello"),
    ("pr", "list", "-R", "octo/hello"),
    ("release", "list", "-R", "octo/hello"),
    ("run", "list", "-R", "octo/hello"),
    ("issue", "view", "38", "-R", "octo/hello"),
    ("pr", "view", "1", "-R", "octo/hello"),
]
MATRIX = (2, 4, 8, 16)
DEADLINE = {"GH_CACHE_PEER_TIMEOUT_MS": None}  # unset: the default (150 ms), which the rig raises for tests


def _case(
    node: Node, args: tuple[str, ...], before: Callable[[], None] | None = None, **extra: str
) -> Callable[[], float]:
    """One whole `gh args` process through the shim on `node`, in ms; `before` runs untimed first."""
    env = {**node.env, **extra}

    def case() -> float:
        if before is not None:
            before()
        return timed([SHIM, *args], env, str(node.rig.home))

    return case


def _forget_locally(node: Node) -> None:
    """Drop the node's local entries and its daemon's shelf, so the next call must ask the network."""
    for name in ("entries", "shared"):
        shutil.rmtree(node.cache_dir / name, ignore_errors=True)


def _latency(hub: FakeHub, base: Path, api: str, results: list[dict]) -> None:
    tiers = {"GH_CACHE_IPFS": "1", "GH_CACHE_IPFS_API": api}
    a = Node("a", hub, base, **tiers, **DEADLINE).start()
    b = Node("b", hub, base, **tiers, **DEADLINE, GH_CACHE_P2P_BOOTSTRAP=a.address).start()
    try:
        wait_for(lambda: b.status().get("members"), 60, "b to admit a")
        view, issues = ("api", "repos/octo/hello/readme"), ("issue", "list", "-R", "octo/hello")
        assert a.gh(*view).returncode == 0
        hub.clear_requests()
        medians = interleaved_medians(
            {
                "uncached": _case(a, view, GH_CACHE="0"),
                "local": _case(a, view),
                "peer": _case(b, view, lambda: _forget_locally(b)),
            },
            RUNS,
        )
        assert hub.upstream_count() == RUNS, "only the uncached calls may reach fakehub"
        assert a.gh(*issues).returncode == 0
        wait_for(lambda: b.status().get("hints", 0) >= 2, 20, "b to hear the issue list's announcement")
        a.stop()  # only IPFS has it now
        # b is alone: it cannot learn of writes made elsewhere, so a copy stored before that is not served
        # (counted `unverified ipfs`); the first read goes to GitHub once and stores a copy b can vouch for.
        _forget_locally(b)
        assert b.gh(*issues).returncode == 0
        medians |= interleaved_medians({"ipfs": _case(b, issues, lambda: _forget_locally(b))}, RUNS)
        assert b.stats().get("hit ipfs", 0) >= RUNS and b.stats().get("hit peer", 0) >= RUNS, b.stats()
    finally:
        a.stop()
        b.stop()
    how = f"whole gh process through the shim, real gh 2.102, fakehub with {LATENCY_MS} ms latency, median of {RUNS}"
    interleaved = how + " interleaved runs"
    forgotten = "; local entry and daemon shelf removed before each call"
    anchor, uncached = f"uncached call ({LATENCY_MS} ms upstream latency)", medians["uncached"]
    results += [
        row("uncached call", interleaved, uncached, anchor, uncached),
        row("local hit", interleaved, medians["local"], anchor, uncached),
        row("peer hit (libp2p, daemon on loopback)", interleaved + forgotten, medians["peer"], anchor, uncached),
        row(
            "IPFS hit (js-ipfs on loopback, sharing peer gone)",
            how + ", run after the others" + forgotten,
            medians["ipfs"],
            anchor,
            uncached,
        ),
    ]


def _job(node: Node) -> None:
    for args in CI_WORKLOAD:
        assert node.gh(*args).returncode == 0


def _stats_lines(node: Node) -> list[list[str]]:
    """The node's raw stats log: `event tier bytes ms` per line."""
    path = node.cache_dir / "stats.log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def _usage(pid: int) -> tuple[float, float]:
    """A daemon's resident memory (MiB) and CPU time so far (s), from /proc."""
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _mode(hub: FakeHub, nodes: list[Node], at_once: bool) -> dict:
    """Every runner runs the job (one after another, or all released together) from cold caches."""
    for node in nodes:
        _forget_locally(node)
    lines_before = {node.name: len(_stats_lines(node)) for node in nodes}
    cpu_before = {node.name: _usage(node.pid)[1] for node in nodes}
    hub.clear_requests()
    started = time.monotonic()
    if at_once:
        in_parallel([lambda node=node: _job(node) for node in nodes])
    else:
        for node in nodes:
            _job(node)
    wall = time.monotonic() - started
    new = [line for node in nodes for line in _stats_lines(node)[lines_before[node.name] :]]
    usage = [_usage(node.pid) for node in nodes]
    answered = sum(1 for line in new if line[0] in ("hit", "miss") and line[1] in ("peer", "daemon", "ipfs"))
    return {
        "unanswered": sum(1 for line in new if line[:2] == ["miss", "local"]) - answered,
        "runs": sum(1 for line in new if line[:2] == ["run", "upstream"]),
        "requests": hub.upstream_count(),
        "hits": [float(line[3]) for line in new if line[0] == "hit" and line[1] in ("peer", "daemon")],
        "waits": [float(line[3]) for line in new if line[:2] == ["wait", "peer"]],
        "rss": max(rss for rss, _ in usage),
        "cpu": statistics.mean(cpu - cpu_before[node.name] for node, (_, cpu) in zip(nodes, usage, strict=True)),
        "wall": wall,
    }


def _propagation(nodes: list[Node]) -> float:
    """Seconds from a write's end on one runner until every other runner holds its tombstones."""
    writer = nodes[0]
    done = writer.gh("issue", "create", "-R", "octo/hello", "-t", f"bench {time.time()}", "-b", "b")
    assert done.returncode == 0, done.stderr
    ended = time.monotonic()
    marks = {path.name for path in (writer.cache_dir / "invalidations").iterdir()}

    def everywhere() -> bool:
        return all(marks <= {path.name for path in (node.cache_dir / "invalidations").glob("*")} for node in nodes[1:])

    wait_for(everywhere, 30, "the write to reach every runner", interval=0.005)
    return time.monotonic() - ended


def _matrix(hub: FakeHub, base: Path, count: int) -> dict:
    nodes = start_mesh(hub, base, count, f"x{count}-", **DEADLINE)
    try:
        figures = {
            "one after another": _mode(hub, nodes, at_once=False),
            "all at once": _mode(hub, nodes, at_once=True),
        }
        return {**figures, "propagation": _propagation(nodes)}
    finally:
        stop_all(nodes)


CATCHUP_RUNS = 3  # per way of being away
AWAY = {"SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL, "SIGSTOP": signal.SIGSTOP}


def _away_and_back(writer: Node, witness: Node, runner: Node, away: int) -> tuple[float, tuple[float, float] | None]:
    """`runner`'s daemon goes away while `writer` writes; ms from its return (`daemon start`, or
    SIGCONT) until its cache dir holds the write, and, inside the new daemon, ms from its start and
    from asking a member to the catch-up applied (None for a stopped daemon, which did not restart)."""
    pid = runner.pid
    if away == signal.SIGSTOP:
        os.kill(pid, away)
    else:
        end_daemon(runner, away)
    done = writer.gh("issue", "create", "-R", "octo/hello", "-t", f"bench {time.time()}", "-b", "b")
    assert done.returncode == 0, done.stderr
    wait_for(lambda: knows_writes_of(witness, writer), 30, "the write to reach the others")
    back = time.monotonic()
    if away == signal.SIGSTOP:
        os.kill(pid, signal.SIGCONT)
    else:
        runner.start()
    wait_for(lambda: knows_writes_of(runner, writer), 30, "the runner to catch up", interval=0.005)
    took = (time.monotonic() - back) * 1000
    wait_for(lambda: runner.status().get("caught_up") is True, 30, "the runner to close its gap")
    status = runner.status()
    if away == signal.SIGSTOP or status.get("caught_up_after") is None:
        return took, None
    return took, (float(status["caught_up_after"]) * 1000, float(status["caught_up_in"]) * 1000)


def _catch_up(hub: FakeHub, base: Path) -> list[dict]:
    """Catch-up after a restart (SIGTERM, SIGKILL) or a stop (SIGSTOP) that missed a write."""
    writer, witness, runner = nodes = start_mesh(hub, base, 3, "cu", **DEADLINE)
    rows = []
    try:
        for name, away in AWAY.items():
            runs = [_away_and_back(writer, witness, runner, away) for _ in range(CATCHUP_RUNS)]
            inside = [times for _, times in runs if times is not None]
            how = (
                f"3 runners; C's daemon away ({name}) during an issue create on A; from C's "
                f"{'SIGCONT' if away == signal.SIGSTOP else '`ghcache daemon start` (a new process)'} until C's "
                f"cache dir holds A's tombstones; median of {CATCHUP_RUNS}"
            )
            if inside:
                how += (
                    f"; in the new daemon, start to catch-up applied {statistics.median(t for t, _ in inside):.0f} ms,"
                    f" of which asking a member to applying its answer {statistics.median(t for _, t in inside):.0f} ms"
                )
            rows.append(
                row(f"write invalidation catch-up, after {name}", how, statistics.median(t for t, _ in runs), "", None)
            )
    finally:
        stop_all(nodes)
    return rows


def _ideal_requests(hub: FakeHub, base: Path) -> int:
    """HTTP requests one runner's job makes: what a matrix that shares perfectly makes in all."""
    alone = Node("ideal", hub, base, GH_CACHE="0")
    hub.clear_requests()
    _job(alone)
    return hub.upstream_count()


def _matrix_rows(figures: dict[int, dict], ideal_requests: int) -> list[dict]:
    rows = []
    for count, measured in figures.items():
        for mode in [name for name in measured if name != "propagation"]:
            got = measured[mode]
            p50, p95 = _percentile(got["hits"], 0.5), _percentile(got["hits"], 0.95)
            wait50, wait95 = _percentile(got["waits"], 0.5), _percentile(got["waits"], 0.95)
            how = (
                f"{count} runners (separate daemons and caches, one mesh, 2 bootstrap peers) x a job of "
                f"{len(CI_WORKLOAD)} distinct gh reads, {mode}, at the default peer deadline (150 ms); ideal = "
                "each read fetched once; waits = shims that waited for another runner's fetch of the same "
                "read (distributed single-flight); all runners and daemons on this one machine"
            )
            value = (
                f"gh runs {got['runs']} (ideal {len(CI_WORKLOAD)}), HTTP requests {got['requests']} "
                f"(ideal {ideal_requests}); daemon too slow to answer in time {got['unanswered']} times; "
                f"peer hits {len(got['hits'])}, "
                f"p50 {p50 or 0:.0f} ms, p95 {p95 or 0:.0f} ms; "
                f"waits {len(got['waits'])}, p50 {wait50 or 0:.0f} ms, p95 {wait95 or 0:.0f} ms; "
                f"daemon max RSS {got['rss']:.0f} MiB, CPU {got['cpu']:.2f} s each; wall {got['wall']:.1f} s"
            )
            rows.append(row(f"CI matrix, {count} runners, {mode}", how, None, "ideal", None, value))
        rows.append(
            row(
                f"write invalidation, {count} runners",
                "issue create on one runner until its tombstones are in every other runner's cache dir",
                measured["propagation"] * 1000,
                "1 s target",
                1000.0,
            )
        )
    return rows


def run(results: list[dict]) -> None:
    install_ipfs()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_zipapps.py")], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="bench-p2p-") as scratch:
        base = Path(scratch)
        with ipfs_node(base) as api, FakeHub(mode="tls", latency_ms=LATENCY_MS) as hub:
            _latency(hub, base, api, results)
        with FakeHub(mode="tls") as hub:
            ideal = _ideal_requests(hub, base)
            figures = {count: _matrix(hub, base, count) for count in MATRIX}
            catch_up = _catch_up(hub, base)
    results += _matrix_rows(figures, ideal)
    results += catch_up


if __name__ == "__main__":
    measured: list[dict] = []
    run(measured)
    for row in measured:
        print(row)
