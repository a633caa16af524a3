"""The network tiers: whole-call latency of a hit served by a peer (libp2p) and by IPFS, against the
local hit and the uncached call (300 ms injected upstream latency), and the upstream calls of
4 runners replaying a CI workload with and without sharing. Called by the main bench script as
`run(results)`; runnable alone too. Real processes on 127.0.0.1 only.
"""

from __future__ import annotations

import shutil
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
from p2prig import Node, install_ipfs, ipfs_node, wait_for  # noqa: E402

RUNS = 25  # per case: with 7 the medians moved by several ms from run to run
LATENCY_MS = 300
SHIM = str(ROOT / "shims" / "gh")
CI_WORKLOAD = [  # the reads of one CI job; each job runs them twice (setup and report steps)
    ("api", "repos/octo/hello"),
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
RUNNERS = 4


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
    a = Node("a", hub, base, **tiers, GH_CACHE_PEER_TIMEOUT_MS="150").start()
    b = Node("b", hub, base, **tiers, GH_CACHE_PEER_TIMEOUT_MS="150", GH_CACHE_P2P_BOOTSTRAP=a.address).start()
    try:
        wait_for(lambda: b.status().get("peers"), 20, "b to connect")
        view, issues = ("api", "repos/octo/hello"), ("issue", "list", "-R", "octo/hello")
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
        medians |= interleaved_medians({"ipfs": _case(b, issues, lambda: _forget_locally(b))}, RUNS)
        assert b.stats().get("hit ipfs", 0) >= RUNS and b.stats().get("hit peer", 0) >= RUNS
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


def _replay(hub: FakeHub, base: Path, sharing: bool) -> int:
    """Upstream calls for RUNNERS runners running the CI workload one after another."""
    runners: list[Node] = []
    try:
        for index in range(RUNNERS):
            name = f"{'s' if sharing else 'n'}{index}"
            node = Node(
                name,
                hub,
                base,
                GH_CACHE_PEER_TIMEOUT_MS="1000",
                GH_CACHE_P2P_BOOTSTRAP=runners[0].address if runners and sharing else "",
            )
            runners.append(node.start() if sharing else node)
        hub.clear_requests()
        for node in runners:
            for _ in range(2):
                for args in CI_WORKLOAD:
                    assert node.gh(*args).returncode == 0
            time.sleep(0.5 if sharing else 0)  # the next job starts a little later; announcements land
        return hub.upstream_count()
    finally:
        for node in runners:
            if sharing:
                node.stop()


def run(results: list[dict]) -> None:
    install_ipfs()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_zipapps.py")], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="bench-p2p-") as scratch:
        base = Path(scratch)
        with ipfs_node(base) as api, FakeHub(mode="tls", latency_ms=LATENCY_MS) as hub:
            _latency(hub, base, api, results)
        with FakeHub(mode="tls") as hub:
            without = _replay(hub, base, sharing=False)
            with_sharing = _replay(hub, base, sharing=True)
    how = (
        f"{RUNNERS} runners (different tokens, separate caches) x a CI job of {len(CI_WORKLOAD)} distinct gh "
        "reads run twice, one job after another"
    )
    results += [
        row(f"upstream calls, {RUNNERS} runners, no sharing", how, None, "same", None, str(without)),
        row(
            f"upstream calls, {RUNNERS} runners, sharing over libp2p",
            how,
            None,
            "no sharing",
            None,
            f"{with_sharing} ({1 - with_sharing / without:.1%} fewer)",
        ),
    ]


if __name__ == "__main__":
    measured: list[dict] = []
    run(measured)
    for row in measured:
        print(row)
