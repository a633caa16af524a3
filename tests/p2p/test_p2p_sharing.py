"""Three runners share gh results over libp2p and IPFS; strangers and stale entries get nothing.

One scenario in order (each step builds on the last), with real processes on 127.0.0.1: fakehub,
the real gh through the shim, ghcache daemons, and a js-ipfs node.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from p2prig import Node, wait_for

pytestmark = pytest.mark.slow
REPO_VIEW = ("api", "repos/octo/hello/readme")
ISSUES = ("issue", "list", "-R", "octo/hello")


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="tls") as running:
        yield running


@pytest.fixture(scope="module")
def nodes(hub: FakeHub, ipfs_api: str, tmp_path_factory: pytest.TempPathFactory, zipapps: Path) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("p2p")
    with_ipfs = {"GH_CACHE_IPFS": "1", "GH_CACHE_IPFS_API": ipfs_api}
    started: dict[str, Node] = {}
    try:
        started["a"] = Node("a", hub, base, **with_ipfs).start()
        a = started["a"].address
        started["b"] = Node("b", hub, base, **with_ipfs, GH_CACHE_P2P_BOOTSTRAP=a).start()
        started["c"] = Node("c", hub, base, **with_ipfs, GH_CACHE_P2P_BOOTSTRAP=f"{a},{started['b'].address}").start()
        started["d"] = Node(
            "d", hub, base, GH_CACHE_SHARED_SECRET="a wrong guess", GH_CACHE_P2P_BOOTSTRAP=f"{a},{started['b'].address}"
        ).start()
        for name in "abc":
            node = started[name]
            wait_for(lambda node=node: len(node.status().get("members", [])) >= 2, 60, f"{name} to admit its peers")
        yield started
    finally:
        for node in started.values():
            node.stop()


def test_a_misses_and_fetches_from_github(nodes: dict, hub: FakeHub) -> None:
    hub.clear_requests()
    done = nodes["a"].gh(*REPO_VIEW)
    assert done.returncode == 0 and b'"path":"README.md"' in done.stdout
    assert hub.upstream_count() == 1
    wait_for(lambda: [p for p in nodes["a"].shared_pointers() if p["cid"]], 20, "A to pin the entry on IPFS")


def test_b_gets_it_from_a_over_libp2p_without_upstream_calls(nodes: dict, hub: FakeHub) -> None:
    hub.clear_requests()
    done = nodes["b"].gh(*REPO_VIEW)
    assert done.returncode == 0
    assert done.stdout == nodes["a"].gh(*REPO_VIEW).stdout
    assert hub.upstream_count() == 0
    served = nodes["b"].stats()  # by A, or by B's own daemon if B is the key's home (A left a copy there)
    assert served.get("hit peer", 0) + served.get("hit daemon", 0) == 1


def test_a_peer_with_the_wrong_secret_gets_nothing(nodes: dict, hub: FakeHub) -> None:
    hub.clear_requests()
    assert nodes["d"].gh(*REPO_VIEW).returncode == 0
    assert hub.upstream_count() == 1  # D had to ask GitHub itself
    assert not [name for name in nodes["d"].stats() if name.startswith("hit ") and name != "hit local"]


def test_a_forged_entry_is_rejected_and_counted(nodes: dict, hub: FakeHub) -> None:
    """C's shelf holds an entry sealed under the wrong secret (C is a member: say its disk was
    tampered with): B gets it from C, counts it as rejected and asks GitHub."""
    from ghcache.daemon.protocol import Pointer
    from ghcache.daemon.sharing import Sharing
    from ghcache.entry import Entry

    args = ("api", "repos/octo/hello/releases")
    wire_key = Sharing.from_secret("default", b"correct horse battery staple").wire_key(shared_key(nodes["b"], args))
    now = time.time()
    forged = Sharing.from_secret("default", b"a wrong guess").seal(
        wire_key, Entry(b"[]\n", b"", 0, now, now + 3600).to_bytes()
    )
    shelf = nodes["c"].cache_dir / "shared"
    shelf.mkdir(mode=0o700, exist_ok=True)
    (shelf / f"{wire_key}.blob").write_bytes(forged)
    (shelf / f"{wire_key}.json").write_bytes(Pointer(wire_key, now + 3600, len(forged), "").to_bytes())
    hub.clear_requests()
    done = nodes["b"].gh(*args)
    assert done.returncode == 0 and done.stdout != b"[]\n"
    assert hub.upstream_count() == 1
    assert nodes["b"].stats().get("reject peer", 0) >= 1


def test_an_expired_entry_is_not_served(nodes: dict, hub: FakeHub) -> None:
    """A and B hold the entry, but by C's clock it expired long ago."""
    hub.clear_requests()
    later = str(time.time() + 400 * 86400)
    assert nodes["c"].gh(*REPO_VIEW, GH_CACHE_NOW=later).returncode == 0
    assert hub.upstream_count() == 1
    assert nodes["c"].stats().get("expired peer", 0) >= 1


def test_with_a_killed_c_gets_it_through_ipfs(nodes: dict, hub: FakeHub) -> None:
    a, c = nodes["a"], nodes["c"]
    hub.clear_requests()
    first = a.gh(*ISSUES)
    assert first.returncode == 0 and hub.upstream_count() >= 1
    wait_for(lambda: len([p for p in a.shared_pointers() if p["cid"]]) == 2, 20, "A to pin the issue list")
    wait_for(lambda: c.status().get("hints", 0) >= 2, 20, "C to hear A's announcement")
    os.kill(a.pid, signal.SIGKILL)
    for node in (nodes["b"], c):  # A left a copy at the entry's home, B or C: only IPFS may have it now
        for blob in (node.cache_dir / "shared").glob("*.blob"):
            blob.unlink()
    hub.clear_requests()
    done = c.gh(*ISSUES)
    assert done.returncode == 0 and done.stdout == first.stdout
    assert hub.upstream_count() == 0
    assert c.stats().get("hit ipfs") == 1


def test_a_hung_daemon_costs_the_shim_at_most_the_deadline(nodes: dict, hub: FakeHub) -> None:
    from ghcache.daemon import client
    from ghcache.tiers.peer import PeerStore

    b = nodes["b"]
    pid = b.pid
    os.kill(pid, signal.SIGSTOP)  # accepts connections (the kernel does), never answers
    try:
        peers = PeerStore(client.socket_path(str(b.cache_dir), b.env), 150, time.time)
        started = time.monotonic()
        assert peers.get("0" * 64) is None
        assert time.monotonic() - started < 0.15 + 0.1
        hub.clear_requests()
        started = time.monotonic()
        done = b.gh("api", "repos/octo/hello/labels", GH_CACHE_PEER_TIMEOUT_MS="150")
        assert done.returncode == 0 and hub.upstream_count() == 1
        assert time.monotonic() - started < 5
    finally:
        os.kill(pid, signal.SIGCONT)


def shared_key(node: Node, args: tuple[str, ...]) -> str:
    """The shared key the shim computes for `gh args` on `node` (stdin, stdout and stderr not terminals)."""
    from ghcache import keys, policy, runner

    decision = policy.decide(list(args), stdin_tty=False, stdout_tty=False)
    real_gh = runner.find_real_gh(node.env)
    inputs = keys.build(decision, list(args), node.env, str(node.rig.home), keys.Terminal(False, False, None), real_gh)
    return inputs.shared_key("default")


def test_no_token_or_secret_is_written_anywhere(nodes: dict) -> None:
    """Caches, shelves, daemon logs, identities and stats hold neither a gh token nor the namespace secret."""
    secrets_ = {node.env["GH_ENTERPRISE_TOKEN"].encode() for node in nodes.values()}
    secrets_ |= {node.env["GH_CACHE_SHARED_SECRET"].encode() for node in nodes.values()}
    files = {path: read(path) for node in nodes.values() for path in node.cache_dir.rglob("*") if path.is_file()}
    assert files
    assert [str(path) for path, data in files.items() for secret in secrets_ if secret in data] == []


def read(path: Path) -> bytes:
    """A file's bytes; a temp file renamed away while we looked is empty."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
