"""A CI matrix: runners that start the same job at once fetch each read once, see each other's
writes, and keep answering right when half of them die or their bootstrap peer goes and comes back.

Real processes on 127.0.0.1: fakehub, the real gh through the shim, one ghcache daemon per runner.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from p2prig import Node, in_parallel, start_mesh, stop_all, upstream_runs, wait_for, wait_for_mesh
from support import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("zipapps")]  # the shim runs from bin/ghcache.pyz
REPO = ("-R", "octo/hello")
JOB = [  # the distinct reads of one CI job
    ("api", "repos/octo/hello/readme"),
    ("api", "repos/octo/hello/releases"),
    ("api", "repos/octo/hello/labels"),
    ("repo", "view", "octo/hello"),
    ("issue", "list", *REPO),
    ("pr", "list", *REPO),
    ("release", "list", *REPO),
    ("issue", "view", "38", *REPO),
]


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="tls") as running:
        yield running


def run_job(node: Node) -> list[bytes]:
    outputs = []
    for args in JOB:
        done = node.gh(*args)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    return outputs


def reference(hub: FakeHub, tmp_path: Path, name: str) -> list[bytes]:
    """What the job prints without any cache: the oracle every runner must match."""
    plain = Node(name, hub, tmp_path, GH_CACHE="0")
    return [plain.gh(*args).stdout for args in JOB]


@pytest.mark.parametrize("count", [4, 8])
def test_runners_starting_at_once_fetch_each_read_once(hub: FakeHub, tmp_path: Path, count: int) -> None:
    """At the default peer deadline (150 ms): the waits for another runner's fetch are not bounded
    by it, and neither is a daemon that has the lookup but waits for a CPU on this loaded machine."""
    expected = reference(hub, tmp_path, f"oracle-m{count}")
    nodes = start_mesh(hub, tmp_path, count, f"m{count}-", GH_CACHE_PEER_TIMEOUT_MS=None)
    assert all("GH_CACHE_PEER_TIMEOUT_MS" not in node.env for node in nodes)
    try:
        outputs = in_parallel([lambda node=node: run_job(node) for node in nodes])
        assert all(output == expected for output in outputs)
        assert upstream_runs(nodes) == len(JOB)  # one fetch per distinct read, across the whole matrix
    finally:
        stop_all(nodes)


def test_a_write_on_one_runner_is_seen_by_the_others_within_a_second(hub: FakeHub, tmp_path: Path) -> None:
    a, b, c = nodes = start_mesh(hub, tmp_path, 3, "w")
    issues = ("issue", "list", *REPO)
    try:
        before = b.gh(*issues).stdout
        assert c.gh(*issues).stdout == before  # C holds a copy too (from B, or fetched)
        title = f"Written on A at {time.time()}"
        written = a.gh("issue", "create", *REPO, "-t", title, "-b", "body")
        assert written.returncode == 0, written.stderr
        done = time.monotonic()
        marked = {path.name for path in (a.cache_dir / "invalidations").iterdir()}  # A's own tombstones
        for node in (b, c):
            wait_for(
                lambda node=node: marked <= tombstones(node),
                10,
                f"{node.name} to hear of A's write",
                interval=0.01,
            )
        propagation = time.monotonic() - done
        assert propagation < 1.0, f"tombstones took {propagation:.3f}s"
        after = b.gh(*issues)
        assert title.encode() in after.stdout and title.encode() not in before
        c.stop()  # the tombstone was written to C's cache dir: it outlives C's daemon
        c.start()
        wait_for_mesh(nodes, 60)
        assert title.encode() in c.gh(*issues).stdout
    finally:
        stop_all(nodes)


def tombstones(node: Node) -> set[str]:
    marks = node.cache_dir / "invalidations"
    return {path.name for path in marks.iterdir()} if marks.exists() else set()


def test_half_the_daemons_killed_mid_run_serve_nothing_wrong(hub: FakeHub, tmp_path: Path) -> None:
    """Daemons die (SIGKILL) while their runners' jobs run: every gh call still answers exactly as
    GitHub would, and what the survivors fetched stays in the namespace."""
    expected = reference(hub, tmp_path, "oracle-k")
    nodes = start_mesh(hub, tmp_path, 8, "k")
    survivors, doomed = nodes[:4], nodes[4:]
    pids = [node.pid for node in doomed]
    try:

        def killer() -> None:
            wait_for(lambda: upstream_runs(nodes) >= 2, 120, "the jobs to get going", interval=0.01)
            for pid in pids:
                os.kill(pid, signal.SIGKILL)

        results = in_parallel([*(lambda node=node: run_job(node) for node in nodes), killer])
        assert all(output == expected for output in results[: len(nodes)])
        late = Node("late", hub, tmp_path, GH_CACHE_P2P_BOOTSTRAP=survivors[0].address).start()
        try:
            wait_for_mesh([*survivors, late], 60)
            before = upstream_runs([late])
            assert run_job(late) == expected
            assert upstream_runs([late]) == before  # all of it from the survivors
        finally:
            late.stop()
    finally:
        stop_all(survivors)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_bootstrap_peer_gone_and_back(hub: FakeHub, tmp_path: Path) -> None:
    """The runners keep sharing among themselves while their only bootstrap peer is down, and it
    rejoins the mesh when it comes back (on its address, with its identity)."""
    port = free_port()
    seed = Node("seed", hub, tmp_path, GH_CACHE_P2P_LISTEN=f"/ip4/127.0.0.1/tcp/{port}").start()
    address = seed.address
    runners = [Node(f"r{index}", hub, tmp_path, GH_CACHE_P2P_BOOTSTRAP=address) for index in range(3)]
    nodes = [seed, *runners]
    try:
        in_parallel([runner.start for runner in runners])
        wait_for_mesh(nodes, 120)
        seed.stop()
        wait_for_mesh(runners, 60)  # they found each other through the seed, and stay connected
        first = runners[0].gh("api", "repos/octo/hello/labels")
        before = upstream_runs(runners)
        assert runners[1].gh("api", "repos/octo/hello/labels").stdout == first.stdout
        assert upstream_runs(runners) == before
        seed.start()
        assert seed.address == address
        wait_for_mesh(nodes, 60)
        assert seed.gh("api", "repos/octo/hello/labels").stdout == first.stdout
        assert upstream_runs([seed]) == 0
    finally:
        stop_all(nodes)


def test_daemon_start_refuses_while_a_stopped_daemon_holds_the_cache_dir(hub: FakeHub, tmp_path: Path) -> None:
    node = Node("s", hub, tmp_path).start()
    pid = node.pid
    os.kill(pid, signal.SIGSTOP)  # alive, holding its lock and its peer id, answering nothing
    try:
        again = node.ghcache("daemon", "start")
        assert again.returncode != 0 and "does not answer" in again.stderr
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        wait_for(lambda: node.status().get("pid") == pid, 30, "the daemon to answer again")
        assert node.ghcache("daemon", "start").returncode == 0  # idempotent: the same daemon answers
        assert node.pid == pid
    finally:
        node.stop()
    restarted = node.start()  # the lock went with the daemon
    assert restarted.pid != pid
    restarted.stop()


def test_runners_that_accept_no_inbound_connections_share_through_a_reachable_peer(
    hub: FakeHub, tmp_path: Path
) -> None:
    """GitHub-hosted runners: nothing can dial them. They listen nowhere (every dial to them is
    refused), dial out to one reachable peer, and share through it: it is home to every key, so
    it grants the leases and keeps the entries that the runners wait for and look up."""
    expected = reference(hub, tmp_path, "oracle-o")
    relay = Node("relay", hub, tmp_path).start()
    runners = [
        Node(f"o{index}", hub, tmp_path, GH_CACHE_P2P_LISTEN="none", GH_CACHE_P2P_BOOTSTRAP=relay.address)
        for index in range(4)
    ]
    try:
        in_parallel([runner.start for runner in runners])
        relay_id = relay.status()["peer_id"]
        for runner in runners:
            wait_for(lambda runner=runner: runner.status().get("members") == [relay_id], 60, f"{runner.name} to join")
            assert runner.status()["addresses"] == []  # nothing to dial: inbound is refused
        wait_for(lambda: len(relay.status().get("members", [])) == len(runners), 60, "the relay to admit all")
        outputs = in_parallel([lambda runner=runner: run_job(runner) for runner in runners])
        assert all(output == expected for output in outputs)
        assert upstream_runs(runners) == len(JOB)
        assert all(runner.status()["peers"] == [relay_id] for runner in runners)  # no runner reached another
    finally:
        stop_all([relay, *runners])


@pytest.mark.parametrize(
    "what, how",
    [("shim", signal.SIGKILL), ("shim", signal.SIGSTOP), ("daemon", signal.SIGKILL), ("daemon", signal.SIGSTOP)],
    ids=["fetcher-killed", "fetcher-stopped", "its-daemon-killed", "its-daemon-stopped"],
)
def test_a_fetcher_that_dies_or_hangs_blocks_no_one_past_the_bound(
    hub: FakeHub, tmp_path: Path, what: str, how: signal.Signals
) -> None:
    """A's shim takes the lease and then A's shim or A's daemon is killed or stopped while gh still
    talks to a slow GitHub. B, which waits for A's entry, is let go within the bound and fetches
    itself: soon after A's daemon sees its fetcher gone or stopped (PUT_GRACE), or the home sees A's
    daemon leave; a stopped daemon, which stays connected, costs B its own wait bound
    (GH_CACHE_PEER_WAIT_MS, 2 s here; the default is 20 s), never the lease's 30 s. Where A's daemon
    is there to see, B's bound is 10 s, so being let go sooner is A's daemon's doing."""
    import subprocess

    from ghcache.daemon.leases import HOLDER_CHECK, LEASE_TIME, PUT_GRACE

    wait_bound, latency = (10.0 if what == "shim" else 2.0), 2.0
    a, b = nodes = start_mesh(
        hub,
        tmp_path,
        2,
        f"d{what[0]}{how}-",
        GH_CACHE_PEER_TIMEOUT_MS=None,
        GH_CACHE_PEER_WAIT_MS=str(wait_bound * 1000),
    )
    read = ("api", "repos/octo/hello/labels")
    hub.set_latency(int(latency * 1000))
    daemon_pid = a.pid
    shim = subprocess.Popen(
        [str(ROOT / "shims" / "gh"), *read],
        env=a.env,
        cwd=a.rig.home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: a.status().get("holdings") == 1, 30, "A's shim to take the lease", interval=0.01)
        os.kill(shim.pid if what == "shim" else daemon_pid, how)
        started = time.monotonic()
        done = b.gh(*read)
        took = time.monotonic() - started
        assert done.returncode == 0 and b'"name"' in done.stdout
        assert upstream_runs([b]) == 1  # B fetched it itself, once let go:
        let_go = PUT_GRACE + HOLDER_CHECK if what == "shim" else wait_bound
        assert took < let_go + latency + 3.0 < LEASE_TIME  # the bound, B's own slow fetch, slack
    finally:
        hub.set_latency(0)
        shim.kill()
        shim.wait(10)
        if what == "daemon":
            with contextlib.suppress(ProcessLookupError):
                os.kill(daemon_pid, signal.SIGKILL)  # stopped or dead: it stops no more politely
        stop_all(nodes)
