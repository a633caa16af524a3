"""HTTP plumbing: a threaded HTTP/1.1 server (optionally TLS) plus the cross-cutting API behaviour —
auth, injected latency/outages/rate limits, ETags, rate-limit headers and the request log."""

from __future__ import annotations

import hashlib
import os
import secrets
import ssl
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import control, graphql_api, recorder, rest
from .calls import ApiError, Call, Reply
from .store import Store

PLAIN_API_HOST = "api.github.localhost"
RATE_LIMIT = 5000
RATE_WINDOW_S = 3600
OAUTH_SCOPES = "gist, read:org, repo, workflow"  # what gh checks for before some commands
#: The REST API versions GitHub accepts in X-GitHub-Api-Version (a request without the header gets the oldest).
API_VERSIONS = frozenset({"2022-11-28"})


@dataclass
class Faults:
    """Run-time switches, changed by tests (or the control API) while requests are in flight."""

    latency_ms: float = 0
    outage: int | None = None
    rate_limited: str | None = None  # "primary", "secondary" or None


@dataclass
class Quota:
    """Per-user, per-resource rate-limit accounting for the x-ratelimit-* headers."""

    reset: int = field(default_factory=lambda: int(time.time()) + RATE_WINDOW_S)
    used: dict[tuple[str | None, str], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spend(self, user: str | None, resource: str, cost: int = 1) -> dict[str, str]:
        """Count a request (cost 0 for the free ones: 304s and /rate_limit) and return its headers."""
        with self.lock:
            if time.time() >= self.reset:
                self.reset, self.used = int(time.time()) + RATE_WINDOW_S, {}
            used = self.used[(user, resource)] = self.used.get((user, resource), 0) + cost
        return self.headers(used, resource)

    def snapshot(self, user: str | None) -> dict[str, dict[str, int]]:
        """What `GET /rate_limit` reports: per resource, the same counts the headers carry."""
        with self.lock:
            return {
                resource: {
                    "limit": RATE_LIMIT,
                    "used": self.used.get((user, resource), 0),
                    "remaining": max(0, RATE_LIMIT - self.used.get((user, resource), 0)),
                    "reset": self.reset,
                }
                for resource in ("core", "search", "graphql")
            }

    def headers(self, used: int, resource: str) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(0, RATE_LIMIT - used)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-resource": resource,
        }


class HubServer(ThreadingHTTPServer):
    """Holds everything the handler threads share. TLS handshakes run in the per-connection thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, mode: str, store: Store, ssl_context: ssl.SSLContext | None, port: int = 0, record: bool = False
    ) -> None:
        super().__init__(("127.0.0.1", port), ApiHandler)
        self.mode, self.store, self.ssl_context = mode, store, ssl_context
        self.faults = Faults()
        self.quota = Quota()
        self.log: list[dict[str, Any]] = []
        self.log_lock = threading.Lock()
        self.exchanges: list[dict[str, Any]] | None = [] if record else None

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(30)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def record(self, entry: dict[str, Any]) -> None:
        with self.log_lock:
            self.log.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        with self.log_lock:
            return [dict(e) for e in self.log]

    def clear_requests(self) -> None:
        with self.log_lock:
            self.log.clear()

    def keep(self, entry: dict[str, Any]) -> None:
        """A whole exchange, for the contract tests (see recorder.py)."""
        if self.exchanges is not None:
            with self.log_lock:
                self.exchanges.append(entry)
        recorder.FILES.write(entry)


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakehub"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms delayed-ACK stalls
    server: HubServer
    timeout = 60

    def do_GET(self) -> None:
        self.handle_any()

    do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line; the request log is the record."""

    def handle_any(self) -> None:
        started = time.time()
        body = self.read_body()
        where = self.classify()
        if where is None:
            print(f"fakehub: unrouted {self.command} {self.path}", file=sys.stderr)
            self.send(Reply(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}))
            return
        kind, path, query_string = where
        if kind == "control":
            try:
                self.send(control.handle(self.server, self.command, path, body))
            except (TypeError, ValueError) as exc:
                self.send(Reply(400, {"message": f"bad control request: {exc}"}))
            return
        call, reply = self.api_call(path, query_string, body)
        self.finish_api(call, reply, started)

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def read_chunked(self) -> bytes:
        """HTTP/1.1 chunked request bodies (Go and urllib3 send them when the length is unknown)."""
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def classify(self) -> tuple[str, str, str] | None:
        """Map the request target to ("api"|"control", API-relative path, query string)."""
        parts = urlsplit(self.path)
        path = parts.path or "/"
        if parts.scheme:  # absolute-form: gh talking through us as its HTTP proxy
            if self.server.mode != "plain" or parts.hostname != PLAIN_API_HOST:
                return None
            return "api", "/graphql" if path == "/graphql" else path, parts.query
        if path.startswith("/_fakehub/"):
            return "control", path, parts.query
        if path == "/api/graphql":
            return "api", "/graphql", parts.query
        if path == "/api/v3" or path.startswith("/api/v3/"):
            return "api", path[len("/api/v3") :] or "/", parts.query
        return None

    def bases(self) -> tuple[str, str]:
        """The external REST and web roots, matching how this client reached us."""
        if self.path.startswith("http://"):
            return f"http://{PLAIN_API_HOST}", "http://github.localhost"
        scheme = "https" if self.server.ssl_context else "http"
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return f"{scheme}://{host}/api/v3", f"{scheme}://{host}"

    def files_base(self) -> str:
        """Where redirected downloads (run logs) live: off the API, on a loopback URL gh fetches directly
        (Go's HTTP client never sends loopback requests through its proxy)."""
        if self.server.ssl_context is None:
            return f"http://127.0.0.1:{self.server.server_address[1]}"
        return f"https://{self.headers.get('Host') or f'localhost:{self.server.server_address[1]}'}"

    def viewer(self) -> str | None:
        """The login behind the Authorization header; a token nobody owns is a 401."""
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            return None
        login = self.server.store.login_for_token(token.strip()) if scheme.lower() in ("token", "bearer") else None
        if login is None:
            raise ApiError(401, "Bad credentials")
        return login

    def api_call(self, path: str, query_string: str, body: bytes) -> tuple[Call, Reply]:
        api_base, web_base = self.bases()
        call = Call(
            method=self.command,
            path=path,
            query=dict(parse_qsl(query_string)),
            body=body,
            viewer=None,
            store=self.server.store,
            api_base=api_base,
            web_base=web_base,
            query_string=query_string,
            accept=self.headers.get("Accept", ""),
            quota=self.server.quota,
            files_base=self.files_base(),
        )
        faults = self.server.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        try:
            call.viewer = self.viewer()
            return call, self.answer(call, faults)
        except ApiError as exc:
            return call, exc.reply()
        except Exception:  # a fakehub bug: answer 500 and show it, rather than drop the connection
            traceback.print_exc()
            return call, ApiError(500, "fakehub internal error").reply()

    def answer(self, call: Call, faults: Faults) -> Reply:
        if faults.outage:
            raise ApiError(faults.outage, "Server Error" if faults.outage >= 500 else "Unavailable")
        if faults.rate_limited == "primary":
            raise ApiError(403, f"API rate limit exceeded for user {call.viewer or 'anonymous'}.")
        if faults.rate_limited == "secondary":
            raise ApiError(
                429, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            )
        version = self.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            raise ApiError(
                400,
                f"Unsupported 'X-GitHub-Api-Version' header: {version}. "
                f"Supported versions are: {', '.join(sorted(API_VERSIONS))}",
            )
        with self.server.store.lock:
            if call.path == "/graphql" and call.method == "POST":
                return graphql_api.execute(call)
            reply = rest.dispatch(call)
        if reply is None:
            print(f"fakehub: no route for {call.method} {call.path}?{call.query_string}", file=sys.stderr)
            raise ApiError(404, "Not Found")
        return reply

    def finish_api(self, call: Call, reply: Reply, started: float) -> None:
        """Add caching and rate-limit headers, apply injected limits, log, send."""
        resource = "graphql" if call.path == "/graphql" else "search" if call.path.startswith("/search/") else "core"
        faults = self.server.faults
        not_modified = False
        if call.viewer:
            reply.headers["X-OAuth-Scopes"] = OAUTH_SCOPES
        if faults.rate_limited == "secondary":
            reply.headers["Retry-After"] = "60"
        reply.headers["X-GitHub-Request-Id"] = secrets.token_hex(8).upper()
        reply.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        if call.method in ("GET", "HEAD") and reply.status == 200:
            etag = '"' + hashlib.sha256(reply.payload()).hexdigest() + '"'
            reply.headers["ETag"] = etag
            reply.headers["Cache-Control"] = f"{'private' if call.viewer else 'public'}, max-age=60, s-maxage=60"
            reply.headers["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding"
            if etag in (t.strip() for t in self.headers.get("If-None-Match", "").split(",")):
                reply, not_modified = Reply(304, None, reply.headers), True
        free = not_modified or call.path == "/rate_limit"  # GitHub charges neither
        reply.headers.update(self.server.quota.spend(call.viewer, resource, cost=0 if free else 1))
        if faults.rate_limited == "primary":
            reply.headers["x-ratelimit-remaining"] = "0"
        self.server.record(
            {
                "method": call.method,
                "path": call.path,
                "query": call.query_string,
                "status": reply.status,
                "graphql_operation": graphql_api.operation_name(call.body) if call.path == "/graphql" else None,
                "graphql_operation_type": graphql_api.operation_type(call.body) if call.path == "/graphql" else None,
                "user": call.viewer,
                "time": started,
            }
        )
        if self.server.exchanges is not None or os.environ.get(recorder.ENV):
            # Kept before sending, so that a client which has its answer finds the exchange recorded.
            payload = b"" if reply.status == 304 else reply.payload()
            headers = wire_headers(reply, reply.payload())
            self.server.keep(
                recorder.exchange(
                    call.method, call.path, call.query_string, self.headers, call.body, reply.status, headers, payload
                )
            )
        self.send(reply)

    def send(self, reply: Reply) -> None:
        payload = reply.payload()
        self.send_response(reply.status)
        for key, value in wire_headers(reply, payload).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and reply.status != 304:
            try:
                self.wfile.write(payload)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                self.close_connection = True


def wire_headers(reply: Reply, payload: bytes) -> dict[str, str]:
    """The headers a reply goes out with."""
    headers: dict[str, str] = {}
    if reply.body is not None and not isinstance(reply.body, bytes):
        headers["Content-Type"] = "application/json; charset=utf-8"
    headers.update(reply.headers)
    headers["Content-Length"] = str(len(payload))
    return headers
