"""`ghcache daemon start|stop|status`: idempotent, bounded in time, standard library until the daemon runs.

`start` returns once the socket answers (every tier is up then), so a CI step that starts the
daemon can use it at once; `stop` asks politely, then signals the recorded pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping

from . import client, files, protocol

START_TIMEOUT = 60.0  # libp2p alone imports in ~1.5 s; an IPFS node may be slower to answer
STOP_TIMEOUT = 10.0
PING_TIMEOUT = 1.0


class DaemonError(Exception):
    """The daemon could not be started or stopped; the message says why."""


def status(socket_path: str) -> dict[str, object] | None:
    reply = client.request(socket_path, protocol.status(), PING_TIMEOUT)
    try:
        return protocol.read_status(reply) if reply is not None else None
    except protocol.BadMessage:
        return None


def start(cache_dir: str, env: Mapping[str, str]) -> dict[str, object]:
    """Start a background daemon for `cache_dir` unless one answers already; returns its status.
    Refuses while a daemon that does not answer (stopped, hung) still holds the cache dir's lock."""
    path = client.socket_path(cache_dir, env)
    running = status(path)
    if running is not None:
        return running
    _refuse_if_locked(cache_dir)
    os.makedirs(cache_dir, mode=0o700, exist_ok=True)
    log_path = os.path.join(cache_dir, files.LOG_NAME)
    with open(log_path, "ab") as log, open(os.devnull, "rb") as devnull:
        os.chmod(log_path, 0o600)
        process = subprocess.Popen(
            [sys.executable, "-m", "ghcache", "daemon", "start", "--foreground"],
            stdin=devnull,
            stdout=log,
            stderr=log,
            env=_child_env(env),
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        running = status(path)
        if running is not None:
            return running
        if process.poll() is not None:
            raise DaemonError(f"the daemon exited with code {process.returncode}:\n{_tail(log_path)}")
        time.sleep(0.05)
    process.kill()
    raise DaemonError(f"the daemon did not answer within {START_TIMEOUT:.0f}s:\n{_tail(log_path)}")


def stop(cache_dir: str, env: Mapping[str, str]) -> bool:
    """Stop the daemon of `cache_dir`; False if none was running."""
    path = client.socket_path(cache_dir, env)
    pid = files.recorded_pid(cache_dir)
    asked = client.request(path, protocol.stop(), PING_TIMEOUT) is not None
    if not asked and pid is None:
        return False
    if not asked and pid is not None and _alive(pid):
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if (pid is None or not _alive(pid)) and status(path) is None:
            return True
        time.sleep(0.05)
    if pid is not None and _alive(pid):
        _signal(pid, signal.SIGKILL)
    return True


def foreground(cache_dir: str, env: Mapping[str, str]) -> None:
    """Run the daemon in this process until stopped (systemd, Actions services, `start`)."""
    import logging

    import trio

    from .server import serve
    from .settings import DaemonSettings
    from .sharing import NotConfigured, Sharing

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("libp2p").setLevel(logging.WARNING)
    path = client.socket_path(cache_dir, env)
    if status(path) is not None:
        raise DaemonError(f"a daemon already answers on {path}")
    try:
        sharing = Sharing.from_env(env)
    except (NotConfigured, OSError) as error:
        raise DaemonError(f"sharing is off: {error}") from None
    os.makedirs(cache_dir, mode=0o700, exist_ok=True)
    lock = files.DaemonLock(cache_dir)
    try:
        lock.acquire()
    except files.Locked:
        raise DaemonError(_locked(cache_dir)) from None
    try:
        trio.run(serve, cache_dir, path, DaemonSettings.from_env(env), sharing)
    except ValueError as error:  # a bad setting, e.g. a bootstrap address
        raise DaemonError(str(error)) from None
    finally:
        lock.release()


def _refuse_if_locked(cache_dir: str) -> None:
    if files.held(cache_dir):
        raise DaemonError(_locked(cache_dir))


def _locked(cache_dir: str) -> str:
    return (
        f"a daemon (pid {files.recorded_pid(cache_dir)}) holds {os.path.join(cache_dir, files.LOCK_NAME)} but does "
        "not answer (stopped or hung); a second one would share its peer id: `ghcache daemon stop` or end it first"
    )


def _child_env(env: Mapping[str, str]) -> dict[str, str]:
    """`python -m ghcache` must find this very package, however the CLI was started."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = dict(env)
    child["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH", "")]))
    return child


def _alive(pid: int) -> bool:
    """Whether `pid` is still our daemon (not a process that reused the number of a dead one)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"ghcache" in handle.read()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: fall back to "some process has that pid"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""
