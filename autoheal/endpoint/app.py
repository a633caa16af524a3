"""The WSGI app behind `autoheal serve`: every check a hostile client can trip, in order, before any work."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from autoheal.endpoint.limits import RateLimiter
from autoheal.endpoint.settings import HEALTH_PATH, REPORT_PATH, Settings
from autoheal.endpoint.validate import Invalid, parse

log = logging.getLogger(__name__)

Response = tuple[int, list[tuple[str, str]], dict[str, Any] | None]
CONTENT_TYPES = ("application/json", "text/plain")
BUSY_RETRY_AFTER = 5
PREFLIGHT = [
    ("Access-Control-Allow-Methods", "POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, X-Autoheal-Key"),
    ("Access-Control-Max-Age", "600"),
]


class ClientErrorApp:
    """Accepts a report only if origin, rate, key, size, type and shape all pass; `accept` takes it from there.

    `accept(report) -> bool` must not block (False = saturated, answered 429). Nothing a client sends
    can produce a 5xx: an unexpected fault is logged and answered 400.
    """

    def __init__(
        self, settings: Settings, accept: Callable[[dict[str, Any]], bool], limiter: RateLimiter | None = None
    ) -> None:
        self.settings = settings
        self._accept = accept
        self._limiter = limiter if limiter is not None else RateLimiter(settings.per_minute, settings.max_clients)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            status, headers, body = self._route(environ)
        except Exception:
            log.exception("autoheal endpoint: unexpected fault")
            status, headers, body = 400, [], {"error": "bad request"}
        data = b"" if body is None else json.dumps(body).encode()
        if body is not None:
            headers = [*headers, ("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", [*headers, ("Cache-Control", "no-store")])
        return [data]

    def _route(self, environ: Mapping[str, Any]) -> Response:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH:
            return (200, [], {"ok": True}) if method == "GET" else (405, [("Allow", "GET")], None)
        if path != REPORT_PATH:
            return 404, [], {"error": "not found"}
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin not in self.settings.allowed_origins:
            return 403, [], {"error": "origin not allowed"}
        cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")] if origin else []
        if method == "OPTIONS":
            return 204, [*cors, *PREFLIGHT], None
        if method != "POST":
            return 405, [*cors, ("Allow", "POST, OPTIONS")], None
        status, headers, body = self._post(environ)
        return status, [*cors, *headers], body

    def _post(self, environ: Mapping[str, Any]) -> Response:
        wait = self._limiter.check(client_address(environ, self.settings.trust_forwarded))
        if wait:
            return 429, [("Retry-After", str(wait))], {"error": "rate limited"}
        if self.settings.ingest_key and not _key_matches(environ, self.settings.ingest_key):
            return 401, [], {"error": "missing or wrong ingest key"}
        length = _content_length(environ)
        if length is None:
            return 411, [], {"error": "Content-Length required"}
        if length > self.settings.max_body:
            return 413, [], {"error": f"report larger than {self.settings.max_body} bytes"}
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() not in CONTENT_TYPES:
            return 415, [], {"error": "send application/json"}
        try:
            report = parse(_read(environ["wsgi.input"], length))
        except Invalid as exc:
            return 400, [], {"error": str(exc)}
        if not self._accept(report):
            return 429, [("Retry-After", str(BUSY_RETRY_AFTER))], {"error": "busy"}
        return 202, [], {"accepted": True}


def client_address(environ: Mapping[str, Any], trust_forwarded: bool) -> str:
    """The rate-limit key: the peer, or behind a trusted proxy the address it saw last."""
    if trust_forwarded and environ.get("HTTP_X_FORWARDED_FOR"):
        return str(environ["HTTP_X_FORWARDED_FOR"]).split(",")[-1].strip()[:64]
    return str(environ.get("REMOTE_ADDR", ""))[:64]


def _key_matches(environ: Mapping[str, Any], key: str) -> bool:
    given = environ.get("HTTP_X_AUTOHEAL_KEY", "")
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), key.encode())


def _content_length(environ: Mapping[str, Any]) -> int | None:
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 20 else None


def _read(stream: Any, length: int) -> bytes:
    """Exactly `length` bytes (already capped); a client that sends fewer gets a 400, not a hang."""
    chunks, left = [], length
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise Invalid("body shorter than Content-Length")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
