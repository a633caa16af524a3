"""Shapes shared by the routing layers: the parsed call, the reply, and GitHub-style errors."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .store import Store

DOCS = "https://docs.github.com/rest"
REPO_PATH = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)(?P<rest>/.*)?$")


class ApiError(Exception):
    """Raised anywhere below the server to answer with GitHub's JSON error shape."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra

    def reply(self) -> Reply:
        """GitHub's error body: the message, a documentation link and (since 2024) the status as a string."""
        return Reply(
            self.status, {"message": self.message, "documentation_url": DOCS, "status": str(self.status), **self.extra}
        )


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def invalid(resource: str, field_name: str, code: str = "missing_field") -> ApiError:
    return ApiError(422, "Validation Failed", errors=[{"resource": resource, "field": field_name, "code": code}])


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as-is
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, indent=None, separators=(",", ":")).encode()


@dataclass
class Call:
    """One API request as the routes see it: paths are relative to the API root (e.g. `/repos/o/r`)."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    viewer: str | None
    store: Store
    api_base: str  # external REST root the client used, for Link headers and *_url fields
    web_base: str  # external web root, for html_url fields
    query_string: str = ""
    accept: str = ""
    quota: Any = None  # the server's Quota, for /rate_limit
    files_base: str = ""  # where redirected downloads are served (see server.files_base)

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, "Problems parsing JSON") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        return data

    def int_arg(self, name: str, default: int, low: int = 1, high: int = 100) -> int:
        try:
            return max(low, min(high, int(self.query.get(name, default))))
        except ValueError:
            return default

    def page_url(self, page: int) -> str:
        """A page link as GitHub writes it: repository routes by id (`/repositories/ID/...`, which
        survives renames; fakehub serves it too), everything else under its own path."""
        args = dict(self.query, page=str(page))
        path = self.path
        found = REPO_PATH.match(path)
        if found:
            repo = self.store.repos.get(f"{found['owner']}/{found['name']}".lower())
            if repo is not None:
                path = f"/repositories/{repo.id}{found['rest'] or ''}"
        return f"{self.api_base}{path}?{urlencode(args)}"
