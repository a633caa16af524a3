"""The shim's side of the daemon socket: tiny, standard library only, every call under a deadline.

Anything that goes wrong (no daemon, a dead one, a hung one, one too slow even for the grace a
daemon that has the request gets) is `None`: the caller goes on with the real gh as if the
daemon did not exist.
"""

from __future__ import annotations

import os
import time

# The C module alone (every CPython and PyPy has it): `socket` also imports enum, selectors and
# more, ~3 ms of a peer hit.
from _socket import AF_UNIX, MSG_PEEK, SOCK_STREAM, socket

from ..digest import hexdigest
from . import process, protocol

TYPE_CHECKING = False  # typing costs the shim milliseconds; annotations are never evaluated
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

SOCKET_NAME = "daemon.sock"
RECHECK = 0.02  # seconds between looks at a silent daemon that is waiting for a CPU


def socket_path(cache_dir: str, env: Mapping[str, str]) -> str:
    """$XDG_RUNTIME_DIR/ghcache-<cache dir digest>.sock when there is one, else <cache dir>/daemon.sock."""
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, f"ghcache-{hexdigest(os.path.abspath(cache_dir))[:16]}.sock")
    return os.path.join(cache_dir, SOCKET_NAME)


def request(
    path: str,
    message: protocol.Message,
    timeout: float,
    acked_timeout: float = 0.0,
    runnable: Callable[[], bool] | None = None,
) -> protocol.Message | None:
    """Send one message and read the one reply, all within `timeout` seconds; or within
    `acked_timeout` once the daemon shows it has the request: it sends an ACK frame first (for a
    message that asks for one) or, by `runnable()`, waits for a CPU (see `runnable`). A daemon that
    is stopped, blocked or gone gets `timeout`, no more."""
    started = time.monotonic()
    deadline, extended = started + timeout, started + max(timeout, acked_timeout)
    try:
        sock = _connect(path, timeout)
        try:
            sock.sendall(message.encode())
            _await_reply(sock, deadline, extended, runnable)
            reply = _read_message(sock, extended)
            if reply.op == protocol.ACK:
                reply = _read_message(sock, extended)
        finally:
            sock.close()
        return reply
    except (OSError, protocol.BadMessage):
        return None


def runnable(pid_path: str) -> bool:
    """Whether the daemon whose pid `pid_path` holds is runnable: a daemon that has our connection
    in its queue has work, so runnable means it waits for a CPU, as on a loaded machine. Stopped
    (SIGSTOP), sleeping in a hang, gone, or no /proc to ask: False."""
    try:
        with open(pid_path, "rb") as handle:
            pid = int(handle.read(32))
    except (OSError, ValueError):
        return False
    return process.state(pid) == process.RUNNABLE


def send(path: str, message: protocol.Message, timeout: float) -> bool:
    """Hand a message over without waiting for the daemon to act on it."""
    try:
        sock = _connect(path, timeout)
        try:
            sock.sendall(message.encode())
        finally:
            sock.close()
        return True
    except OSError:
        return False


def _connect(path: str, timeout: float) -> socket:
    sock = socket(AF_UNIX, SOCK_STREAM)
    try:
        sock.settimeout(max(timeout, 0.001))
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return sock


def _await_reply(sock: socket, deadline: float, extended: float, runnable: Callable[[], bool] | None) -> None:
    """Until the daemon's first byte is there: by `deadline`, or, while `runnable()` says the
    daemon waits for a CPU, by `extended` (asked again every RECHECK)."""
    while True:
        sock.settimeout(max(deadline - time.monotonic(), 0.0))
        try:
            if not sock.recv(1, MSG_PEEK):
                raise ConnectionError("daemon closed the socket")
            return
        except (TimeoutError, BlockingIOError):
            if runnable is None or time.monotonic() >= extended or not runnable():
                raise
            deadline = min(time.monotonic() + RECHECK, extended)


def _read_message(sock: socket, deadline: float) -> protocol.Message:
    prefix = _read_exactly(sock, protocol.PREFIX.size, deadline)
    return protocol.Message.decode(prefix + _read_exactly(sock, protocol.frame_length(prefix), deadline))


def _read_exactly(sock: socket, count: int, deadline: float) -> bytes:
    """`count` bytes by `deadline`. Past it we still take what has already arrived (a reply that
    came in time while this process waited for the CPU), without waiting for more."""
    chunks = bytearray()
    while len(chunks) < count:
        sock.settimeout(max(deadline - time.monotonic(), 0.0))  # 0: what is there, else BlockingIOError
        chunk = sock.recv(min(count - len(chunks), 1 << 20))
        if not chunk:
            raise ConnectionError("daemon closed the socket")
        chunks += chunk
    return bytes(chunks)
