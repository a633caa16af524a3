"""The shim's side of the daemon socket: tiny, standard library only, every call under a deadline.

Anything that goes wrong (no daemon, a dead one, a slow one) is `None`: the caller goes on with
the real gh as if the daemon did not exist.
"""

from __future__ import annotations

import os
import time

# The C module alone (every CPython and PyPy has it): `socket` also imports enum, selectors and
# more, ~3 ms of a peer hit.
from _socket import AF_UNIX, SOCK_STREAM, socket

from ..digest import hexdigest
from . import protocol

TYPE_CHECKING = False  # typing costs the shim milliseconds; annotations are never evaluated
if TYPE_CHECKING:
    from collections.abc import Mapping

SOCKET_NAME = "daemon.sock"


def socket_path(cache_dir: str, env: Mapping[str, str]) -> str:
    """$XDG_RUNTIME_DIR/ghcache-<cache dir digest>.sock when there is one, else <cache dir>/daemon.sock."""
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, f"ghcache-{hexdigest(os.path.abspath(cache_dir))[:16]}.sock")
    return os.path.join(cache_dir, SOCKET_NAME)


def request(path: str, message: protocol.Message, timeout: float) -> protocol.Message | None:
    """Send one message and read the one reply, all within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    try:
        sock = _connect(path, timeout)
        try:
            sock.sendall(message.encode())
            prefix = _read_exactly(sock, protocol.PREFIX.size, deadline)
            rest = _read_exactly(sock, protocol.frame_length(prefix), deadline)
        finally:
            sock.close()
        return protocol.Message.decode(prefix + rest)
    except (OSError, protocol.BadMessage):
        return None


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


def _read_exactly(sock: socket, count: int, deadline: float) -> bytes:
    chunks = bytearray()
    while len(chunks) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("daemon too slow")
        sock.settimeout(left)
        chunk = sock.recv(min(count - len(chunks), 1 << 20))
        if not chunk:
            raise ConnectionError("daemon closed the socket")
        chunks += chunk
    return bytes(chunks)
