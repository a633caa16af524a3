"""Catch-up: a daemon that was down or cut off while a write happened elsewhere learns of it from
its members before it serves anything that write made stale, and a copy that a peer which missed
a write still offers is refused by a daemon that knows of it.

Real processes on 127.0.0.1: fakehub, the real gh through the shim, one ghcache daemon per runner.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from p2prig import Node, end_daemon, knows_writes_of, start_mesh, stop_all, wait_for, wait_for_mesh

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("zipapps")]  # the shim runs from bin/ghcache.pyz
REPO = ("-R", "octo/hello")
ISSUES = ("issue", "list", *REPO)
SERVED = ("hit local", "hit daemon", "hit peer", "hit ipfs")
CATCHUP_BOUND = 10.0  # seconds from a daemon's return until it holds the writes it missed


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="tls") as running:
        yield running


def write_issue(node: Node) -> bytes:
    title = f"Written on {node.name} at {time.time()}"
    done = node.gh("issue", "create", *REPO, "-t", title, "-b", "body")
    assert done.returncode == 0, done.stderr
    return title.encode()


def served(node: Node) -> int:
    counts = node.stats()
    return sum(counts.get(name, 0) for name in SERVED)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_daemon_down_during_a_write_catches_up_when_it_restarts(hub: FakeHub, tmp_path: Path, signum: int) -> None:
    a, b, c = nodes = start_mesh(hub, tmp_path, 3, f"r{signum}-")
    try:
        before = c.gh(*ISSUES).stdout  # C's shim and daemon both hold a copy now (local and shared)
        assert c.gh(*ISSUES).stdout == before and served(c) == 1
        for node in (a, b):  # A and B get theirs from C: every daemon shelves the copy
            assert node.gh(*ISSUES).stdout == before
            wait_for(lambda node=node: node.status().get("shared_entries", 0) >= 1, 10, f"{node.name} to shelve it")
        end_daemon(c, signum)
        title = write_issue(a)  # A's daemon floods the tombstone; C's is not there to hear it
        wait_for(lambda: knows_writes_of(b, a), 10, "B to hear of A's write")
        assert not knows_writes_of(c, a)
        started = time.monotonic()
        c.start()  # returns once the socket answers: after the catch-up (or its bound)
        assert knows_writes_of(c, a), "C answers before it caught up"
        took = time.monotonic() - started
        assert took < CATCHUP_BOUND, f"restart and catch-up took {took:.1f}s"
        assert c.status()["caught_up"] is True
        hits = served(c)
        after = c.gh(*ISSUES)
        assert after.returncode == 0 and title in after.stdout and title not in before
        assert served(c) == hits  # neither C's local copy nor any shared one was served...
        assert c.stats().get("stale peer", 0) == 0  # ...nor offered: A and B know their copies are stale
    finally:
        stop_all(nodes)


def test_a_daemon_stopped_during_a_write_catches_up_when_it_resumes(hub: FakeHub, tmp_path: Path) -> None:
    """A partition: C's daemon is alive but answers nothing (SIGSTOP) while A writes."""
    a, b, c = nodes = start_mesh(hub, tmp_path, 3, "p")
    try:
        before = c.gh(*ISSUES).stdout
        pid = c.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            title = write_issue(a)
            wait_for(lambda: knows_writes_of(b, a), 10, "B to hear of A's write")
            assert not knows_writes_of(c, a)
        finally:
            os.kill(pid, signal.SIGCONT)
        resumed = time.monotonic()
        wait_for(lambda: knows_writes_of(c, a), CATCHUP_BOUND, "C to catch up after it resumed", interval=0.01)
        took = time.monotonic() - resumed
        assert took < CATCHUP_BOUND
        wait_for(lambda: c.status().get("caught_up") is True, CATCHUP_BOUND, "C to close its gap")
        hits = served(c)
        after = c.gh(*ISSUES)
        assert after.returncode == 0 and title in after.stdout and title not in before
        assert served(c) == hits
    finally:
        stop_all(nodes)


def test_a_stale_copy_offered_by_a_peer_that_missed_the_write_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    """B's shim writes while B's daemon is down and B's queue of such writes is lost, so B's
    tombstone never reaches the namespace: A and C still hold (and offer) their copies of the issue
    list. B knows of its own write, so it refuses every such copy and asks GitHub."""
    a, b, c = nodes = start_mesh(hub, tmp_path, 3, "s")
    try:
        before = c.gh(*ISSUES).stdout  # C shares its copy, and leaves one at the key's home
        wait_for(lambda: c.status().get("shared_entries", 0) >= 1, 10, "C to shelve its copy")
        b.stop()
        title = write_issue(b)  # marks B's local tombstones, and queues the write for B's daemon...
        (b.cache_dir / "daemon" / "pending-writes").unlink()  # ...a queue lost here (as past its cap)
        b.start()
        wait_for_mesh(nodes, 60)
        assert not knows_writes_of(c, b)  # C missed it, so it still offers its copy
        upstream = b.stats().get("run upstream", 0)
        after = b.gh(*ISSUES)
        assert after.returncode == 0 and title in after.stdout and title not in before
        counts = b.stats()
        assert counts.get("stale peer", 0) >= 1  # C's copy came, and was refused
        assert counts.get("hit peer", 0) == 0 and counts.get("hit daemon", 0) == 0
        assert counts.get("run upstream", 0) == upstream + 1
    finally:
        stop_all(nodes)


def test_a_write_made_while_the_writers_daemon_is_down_reaches_the_namespace_when_it_starts(
    hub: FakeHub, tmp_path: Path
) -> None:
    """B's shim queues the write its daemon was not there to hear; B's daemon tells the namespace when
    it starts, so A and C stop serving their copies of what it changed."""
    a, b, c = nodes = start_mesh(hub, tmp_path, 3, "q")
    try:
        before = c.gh(*ISSUES).stdout
        wait_for(lambda: c.status().get("shared_entries", 0) >= 1, 10, "C to shelve its copy")
        assert a.gh(*ISSUES).stdout == before
        b.stop()
        title = write_issue(b)
        assert (b.cache_dir / "daemon" / "pending-writes").exists()
        assert not knows_writes_of(c, b)
        b.start()
        wait_for(lambda: knows_writes_of(a, b) and knows_writes_of(c, b), CATCHUP_BOUND, "A and C to hear of B's write")
        assert not (b.cache_dir / "daemon" / "pending-writes").exists()  # taken once
        hits = served(a)
        after = a.gh(*ISSUES)  # A's copy is stale: fetched from GitHub, and shared
        assert after.returncode == 0 and title in after.stdout and title not in before
        assert served(a) == hits, "A served a copy B's write made stale"
        assert title in c.gh(*ISSUES).stdout  # C's copy is stale too: GitHub's answer, or A's new copy
    finally:
        stop_all(nodes)
