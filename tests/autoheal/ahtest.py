"""Helpers shared by the autoheal tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from fakehub import FakeHub
from support import wait_until

from autoheal.report import parse_issue_body
from autoheal.sinks.github import occurrences_on
from autoheal.sinks.spool import Spool

REPO = "octo/hello"


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def run_script(
    venv: Path, code: str, env: dict[str, str], cwd: Path | None = None, args: tuple[str, ...] = (), timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Write `code` to a script and run it with the venv's python."""
    folder = cwd or Path(env["HOME"])
    script = folder / "app.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run(
        [str(venv / "bin" / "python"), str(script), *args],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def autoheal_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI from this checkout, as its own process."""
    child_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "autoheal", *args], env=child_env, capture_output=True, text=True, timeout=60
    )


def spooled(env: dict[str, str]) -> list[Path]:
    return sorted((Path(env["AUTOHEAL_STATE_DIR"]) / "spool").glob("*.json"))


def autoheal_issues(hub: FakeHub) -> list[Any]:
    repo = hub.state.get_repo(REPO)
    return [i for i in repo.issues.values() if "<!-- autoheal:fingerprint=" in i.body]


def occurrence_count(issue: Any) -> int:
    """Occurrences recorded on an issue, read from its comments as autoheal reads them."""
    return occurrences_on([c.body for c in issue.comments])


def wait_for_issues(hub: FakeHub, count: int = 1, timeout: float = 30.0) -> list[Any]:
    """The autoheal issues once there are `count` of them (delivery happens in the background)."""
    wait_for(lambda: len(autoheal_issues(hub)) >= count, timeout)
    return autoheal_issues(hub)


def wait_for_count(hub: FakeHub, count: int, timeout: float = 30.0) -> int:
    """The occurrences on the one autoheal issue, once they reach `count` (or the timeout passes)."""
    wait_for(lambda: sum(occurrence_count(i) for i in autoheal_issues(hub)) >= count, timeout)
    return sum(occurrence_count(i) for i in autoheal_issues(hub))


def wait_for_delivery(env: dict[str, str], timeout: float = 30.0) -> bool:
    """True once the spool is empty and no deliverer holds its lock."""
    return wait_for(Spool(Path(env["AUTOHEAL_STATE_DIR"]) / "spool").idle, timeout)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and directory under root, with a hash of each file's bytes and its symlink targets."""
    digest = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            digest[rel] = "->" + os.readlink(path)
        elif path.is_dir():
            digest[rel] = "dir"
        else:
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    return bool(wait_until(predicate, timeout, interval))


def issue_json(issue: Any) -> dict[str, Any]:
    data = parse_issue_body(issue.body)
    assert data is not None, issue.body
    return data


class RecordingProxy:
    """A TCP relay in front of the hub that keeps every byte the client sends."""

    def __init__(self, target_port: int) -> None:
        import socket
        import threading

        self.target_port = target_port
        self.sent = bytearray()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source, sink, record: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if record:
                    with self._lock:
                        self.sent += chunk
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass

    def close(self) -> None:
        """Stop accepting for good. shutdown() wakes the blocked accept(); a bare close() would leave the
        thread waiting on a descriptor number the next socket of this process may reuse, and it would then
        steal that socket's connections."""
        import socket

        try:
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._acceptor.join(timeout=5)
        self._server.close()
