"""The shim's patience with its daemon: a daemon that has the lookup but is slow to answer (it
acknowledged it, or it waits for a CPU on a loaded machine) is waited for, a little past the
deadline; a stopped or hung one costs the deadline and no more.

The daemon here is a real process on a real Unix socket that answers one lookup the way the
daemon does, at a moment the test chooses, so the timing is the test's and not the machine's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import wait_until

from ghcache.daemon import client, process
from ghcache.entry import Entry
from ghcache.tiers.peer import ANSWER_GRACE, PeerStore

DEADLINE_MS = 150.0
KEY = "k" * 64
DAEMON = r"""
import os, socket, sys, time
sys.path.insert(0, sys.argv[5])
from ghcache.daemon import protocol
path, pid_path, entry_path, mode = sys.argv[1:5]
listener = socket.socket(socket.AF_UNIX)
listener.bind(path)
listener.listen(8)
with open(pid_path, "w") as handle:
    handle.write(str(os.getpid()))
print("listening", flush=True)
sys.stdin.readline()  # the test is about to ask
if mode == "busy":  # runnable the whole time: a daemon waiting for a CPU looks like this
    spin = time.monotonic() + 0.6
    while time.monotonic() < spin:
        pass
conn, _ = listener.accept()
request = protocol.Message.decode(conn.recv(65536))
if mode == "ack":
    conn.sendall(protocol.ack().encode())
    time.sleep(0.6)  # searching, or waiting for a CPU
if mode == "hang":
    time.sleep(60)
with open(entry_path, "rb") as handle:
    conn.sendall(protocol.found(handle.read(), "peer").encode())
time.sleep(5)
"""


class FakeDaemon:
    def __init__(self, tmp_path: Path, mode: str) -> None:
        root = Path(__file__).resolve().parents[2]
        self.socket = str(tmp_path / "d.sock")
        self.pid_file = str(tmp_path / "daemon.pid")
        entry = tmp_path / "entry"
        now = time.time()
        entry.write_bytes(Entry(b"shared output\n", b"", 0, now, now + 60).to_bytes())
        self.process = subprocess.Popen(
            [sys.executable, "-c", DAEMON, self.socket, self.pid_file, str(entry), mode, str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stdout.readline() == "listening\n"

    def store(self, pid_file: bool) -> PeerStore:
        return PeerStore(self.socket, DEADLINE_MS, time.time, pid_path=self.pid_file if pid_file else "")

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def daemon_of(tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    made: list[FakeDaemon] = []

    def make(mode: str) -> FakeDaemon:
        made.append(FakeDaemon(tmp_path, mode))
        return made[-1]

    yield make
    for daemon in made:
        daemon.stop()


def timed_get(store: PeerStore) -> tuple[Entry | None, float]:
    started = time.monotonic()
    entry = store.get(KEY)
    return entry, time.monotonic() - started


def test_a_daemon_that_acknowledged_the_lookup_is_waited_for(daemon_of) -> None:  # type: ignore[no-untyped-def]
    daemon = daemon_of("ack")
    daemon.go()
    entry, took = timed_get(daemon.store(pid_file=False))
    assert entry is not None and entry.stdout == b"shared output\n"
    assert DEADLINE_MS / 1000 < took < DEADLINE_MS / 1000 + ANSWER_GRACE


def test_a_daemon_waiting_for_a_cpu_is_waited_for(daemon_of) -> None:  # type: ignore[no-untyped-def]
    daemon = daemon_of("busy")
    daemon.go()
    entry, took = timed_get(daemon.store(pid_file=True))
    assert entry is not None and entry.stdout == b"shared output\n"
    assert took < DEADLINE_MS / 1000 + ANSWER_GRACE


def test_without_its_pid_a_busy_daemon_gets_the_deadline_only(daemon_of) -> None:  # type: ignore[no-untyped-def]
    daemon = daemon_of("busy")
    daemon.go()
    entry, took = timed_get(daemon.store(pid_file=False))
    assert entry is None and took < DEADLINE_MS / 1000 + 0.1


@pytest.mark.parametrize("how", ["stopped", "hung"])
def test_a_stopped_or_hung_daemon_costs_the_deadline_only(daemon_of, how: str) -> None:  # type: ignore[no-untyped-def]
    daemon = daemon_of("hang" if how == "hung" else "busy")
    if how == "stopped":
        os.kill(daemon.process.pid, signal.SIGSTOP)  # SIGKILL at teardown ends it stopped or not
    else:
        daemon.go()  # it accepts and then sleeps without a word, in state S
    entry, took = timed_get(daemon.store(pid_file=True))
    assert entry is None and took < DEADLINE_MS / 1000 + 0.1


def test_runnable_tells_a_running_process_from_a_stopped_sleeping_or_gone_one(tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    pid_file.write_text(str(os.getpid()))
    assert client.runnable(str(pid_file))  # we are running while we ask
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pid_file.write_text(str(sleeper.pid))
        assert wait_until(lambda: not client.runnable(str(pid_file)), 30)  # once it has started: asleep
        os.kill(sleeper.pid, signal.SIGSTOP)
        assert wait_until(lambda: process.state(sleeper.pid) in process.STOPPED, 30)
        assert not client.runnable(str(pid_file))
        os.kill(sleeper.pid, signal.SIGCONT)
        spinner_file = tmp_path / "spinner.pid"
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            spinner_file.write_text(str(spinner.pid))
            assert wait_until(lambda: client.runnable(str(spinner_file)), 30)  # running, or waiting for a CPU
        finally:
            spinner.kill()
            spinner.wait(10)
    finally:
        sleeper.kill()
        sleeper.wait(10)
    assert not client.runnable(str(pid_file))  # gone (reaped)
    pid_file.write_text("junk")
    assert not client.runnable(str(pid_file))
    assert not client.runnable(str(tmp_path / "no such file"))
