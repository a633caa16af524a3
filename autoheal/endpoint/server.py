"""`autoheal serve`: the WSGI app on the standard library's server, with bounded threads and patient closes."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 64
SOCKET_TIMEOUT = 10.0
LINGER_BYTES = 1 << 20
REFUSAL = b"HTTP/1.0 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class QuietHandler(WSGIRequestHandler):
    """Logs to `logging`, not stderr; times out slow clients; reads what a refused client still sends."""

    timeout = SOCKET_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def finish(self) -> None:
        """Closing with unread input makes the kernel send RST, which can eat our 413: drain a bounded amount."""
        super().finish()
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            left = LINGER_BYTES
            while left > 0 and (chunk := self.connection.recv(65536)):
                left -= len(chunk)
        except OSError:
            pass


class BoundedThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per connection, at most MAX_CONNECTIONS at once; the rest are answered 429 at once."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # socketserver's default backlog of 5 drops SYNs under a modest burst

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(REFUSAL)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def make_wsgi_server(host: str, port: int, app: Callable[..., Any]) -> BoundedThreadingServer:
    """Bind now (port 0 picks a free one); the caller runs `serve_forever`."""
    return make_server(host, port, app, server_class=BoundedThreadingServer, handler_class=QuietHandler)


def serve(host: str = "127.0.0.1", port: int = 8004, app: Callable[..., Any] | None = None) -> None:
    """Block serving the client-error endpoint; prints the bound address so callers can use port 0."""
    if app is None:
        from autoheal.endpoint import make_app

        app = make_app()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_cleanly)  # so atexit still drains the filing queue
    with make_wsgi_server(host, port, app) as server:
        bound_host, bound_port = server.server_address[:2]
        if isinstance(bound_host, bytes):  # socketserver types it str | bytes; an IP socket gives str
            bound_host = bound_host.decode()
        print(f"autoheal: serving client errors on http://{bound_host}:{bound_port}", file=sys.stderr, flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def _exit_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(0)
