"""The GitHub REST calls autoheal makes, over urllib3, with GitHub's rate limits turned into errors.

No retries here: a report that cannot be sent stays in the spool, which is the retry.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import urllib3

USER_AGENT = "autoheal/0.1"


class GitHubUnavailable(Exception):
    """Offline, timed out or a 5xx: try again later."""


class RateLimited(GitHubUnavailable):
    def __init__(self, until: float) -> None:
        super().__init__(f"rate limited until {time.strftime('%H:%M:%S', time.localtime(until))}")
        self.until = until


class GitHubRejected(Exception):
    """GitHub refused the request itself (bad token, no such repo, validation)."""

    def __init__(self, status: int, message: str, codes: tuple[str, ...] = ()) -> None:
        super().__init__(f"GitHub answered {status}: {message}")
        self.status = status
        self.codes = codes  # the `code` of each entry in GitHub's `errors` list, e.g. "already_exists"


def rate_limit_until(status: int, headers: Mapping[str, str], body: str, now: float) -> float | None:
    """When a response says to stop calling, the epoch second to wait for; else None."""
    retry_after = headers.get("retry-after", "").strip()
    if retry_after and status in (403, 429, 503):
        if retry_after.isdigit():
            return now + int(retry_after)
        parsed = email.utils.parsedate_to_datetime(retry_after)
        return parsed.timestamp() if parsed else now + 60
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        return float(headers["x-ratelimit-reset"])
    if status in (403, 429) and "rate limit" in body.lower():
        return now + 60  # GitHub's advice for secondary limits without a header
    return None


class GitHubApi:
    """Calls for one repository, each bounded by what is left of `deadline` (monotonic seconds)."""

    def __init__(
        self,
        api_url: str,
        token: str,
        repo: str,
        deadline: float,
        on_rate_limit: Callable[[float], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base = api_url.rstrip("/")
        self.repo = repo
        self.deadline = deadline
        self.on_rate_limit = on_rate_limit
        self.clock = clock
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
        }
        self._http = urllib3.PoolManager(retries=False)

    def call(self, method: str, path: str, body: Any = None, fields: Mapping[str, str] | None = None) -> Any:
        """JSON of a 2xx answer; None for 404/410 on reads; raises for everything else."""
        return self._call(method, path if path.startswith("http") else self.base + path, body, fields)[0]

    def pages(self, path: str, limit: int = 10) -> list[Any]:
        """All items of a paginated list (up to `limit` pages of 100)."""
        items: list[Any] = []
        url: str | None = self.base + path
        fields: Mapping[str, str] | None = {"per_page": "100"}
        for _ in range(limit):
            if not url:
                break
            data, link = self._call("GET", url, None, fields)
            items += data or []
            url, fields = _next_link(link), None
        return items

    def _call(self, method: str, url: str, body: Any, fields: Mapping[str, str] | None) -> tuple[Any, str]:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise GitHubUnavailable("out of time")
        try:
            response = self._http.request(
                method,
                url,
                fields=fields,
                headers=self._headers,
                body=None if body is None else json.dumps(body).encode("utf-8"),
                timeout=urllib3.Timeout(total=remaining),
            )
        except urllib3.exceptions.HTTPError as e:
            raise GitHubUnavailable(type(e).__name__) from None
        text = response.data.decode("utf-8", "replace")
        until = rate_limit_until(response.status, response.headers, text, self.clock())
        if until is not None:
            self.on_rate_limit(until)
            if response.status >= 400:
                raise RateLimited(until)
        if response.status >= 500:
            raise GitHubUnavailable(f"GitHub answered {response.status}")
        if response.status in (404, 410) and method == "GET":
            return None, ""
        if response.status >= 400:
            raise GitHubRejected(response.status, _message(text), _error_codes(text))
        return (json.loads(text) if text.strip() else None), response.headers.get("link", "")


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        target, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return target.strip().strip("<>")
    return None


def _error_codes(text: str) -> tuple[str, ...]:
    try:
        errors = json.loads(text).get("errors") or []
        return tuple(str(e.get("code", "")) for e in errors if isinstance(e, dict))
    except (ValueError, AttributeError):
        return ()


def _message(text: str) -> str:
    try:
        return str(json.loads(text).get("message", text))[:200]
    except (ValueError, AttributeError):
        return text[:200]
