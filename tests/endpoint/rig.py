"""In-process WSGI calls and a frozen clock: every check of the endpoint without sockets."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from wsgiref.util import setup_testing_defaults

from autoheal.endpoint.settings import REPORT_PATH

VALID = {
    "v": 1,
    "kind": "error",
    "runtime": "browser",
    "name": "TypeError",
    "message": "x is undefined",
    "stack": "TypeError: x\n    at render (https://app.example/app.js:1:2)",
    "url": "https://app.example/",
}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def call(
    app: Callable[..., Any],
    method: str = "POST",
    path: str = REPORT_PATH,
    body: bytes | dict | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Reply:
    data = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD=method,
        PATH_INFO=path,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(data)),
        REMOTE_ADDR="203.0.113.7",
    )
    environ["wsgi.input"] = io.BytesIO(data)
    environ.update(headers or {})
    seen: dict[str, Any] = {}

    def start_response(status: str, header_list: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = int(status.split()[0]), dict(header_list)

    payload = b"".join(app(environ, start_response))
    return Reply(seen["status"], seen["headers"], payload)
