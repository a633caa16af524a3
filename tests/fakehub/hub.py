"""`FakeHub`: start/stop the server and give tests the knobs, the request log and a ready-made gh env."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import descriptions
from .models import User
from .seed import seed
from .server import HubServer
from .store import Store
from .tls import TestCA

QUIET_GH = {
    "GH_TELEMETRY": "false",
    "GH_NO_UPDATE_NOTIFIER": "1",
    "GH_NO_EXTENSION_UPDATE_NOTIFIER": "1",
    "GH_PROMPT_DISABLED": "1",
    "GH_PAGER": "cat",
    "PAGER": "cat",
    "NO_COLOR": "1",
    "GH_SPINNER_DISABLED": "1",
    "GIT_TERMINAL_PROMPT": "0",
}
#: Variables from the caller's environment that would point gh somewhere else; blanked in gh_env().
BLANKED = (
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GH_REPO",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "GH_DEBUG",
    "DEBUG",
)


class FakeHub:
    """A GitHub emulator on 127.0.0.1 that the real gh CLI and urllib3 can talk to.

    mode="tls": HTTPS with a throwaway CA (gh sees an enterprise host `localhost:PORT`).
    mode="plain": HTTP; gh uses host `github.localhost` through us as its HTTP proxy.
    state_dir: where the CA certificate and default gh homes go (a temp dir, removed on close, if None).
    record: keep every whole exchange in memory for `exchanges()` (the contract tests check them).
    """

    def __init__(
        self,
        mode: str = "tls",
        latency_ms: float = 0,
        state_dir: str | Path | None = None,
        port: int = 0,
        record: bool = False,
    ) -> None:
        if mode not in ("tls", "plain"):
            raise ValueError(f"mode must be 'tls' or 'plain', not {mode!r}")
        descriptions.require()  # fail here, clearly, rather than with a 500 on the first GraphQL request
        self.mode = mode
        self._own_dir = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="fakehub-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state = Store()
        seed(self.state)
        self.default_token = "ghp_" + secrets.token_hex(18)
        self.add_user("octocat", self.default_token)
        self._ca = TestCA(self.state_dir) if mode == "tls" else None
        self._server = HubServer(mode, self.state, self._ca.server_context() if self._ca else None, port, record)
        self._thread: threading.Thread | None = None
        self.set_latency(latency_ms)

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> FakeHub:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakehub", daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- addresses -------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def ca_file(self) -> str | None:
        return str(self._ca.ca_file) if self._ca else None

    @property
    def host(self) -> str:
        """The GH_HOST value."""
        return f"localhost:{self.port}" if self.mode == "tls" else "github.localhost"

    @property
    def api_url(self) -> str:
        """REST root for direct clients (no proxy needed in plain mode)."""
        return f"https://localhost:{self.port}/api/v3" if self.mode == "tls" else f"http://127.0.0.1:{self.port}/api/v3"

    @property
    def graphql_url(self) -> str:
        return self.api_url.removesuffix("/v3") + "/graphql"

    def gh_env(self, token: str | None = None, home: str | Path | None = None) -> dict[str, str]:
        """Environment for one isolated gh run against this hub; merge it over os.environ."""
        home = Path(home) if home else Path(tempfile.mkdtemp(prefix="gh-home-", dir=self.state_dir))
        dirs = {
            "GH_CONFIG_DIR": home / ".config" / "gh",
            "XDG_CONFIG_HOME": home / ".config",
            "XDG_CACHE_HOME": home / ".cache",
            "XDG_STATE_HOME": home / ".local" / "state",
            "XDG_DATA_HOME": home / ".local" / "share",
            "TMPDIR": home / "tmp",
        }
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        env = {name: "" for name in BLANKED}
        env.update(QUIET_GH)
        env.update({name: str(path) for name, path in dirs.items()})
        env.update({"HOME": str(home), "GH_HOST": self.host})
        token = token or self.default_token
        if self.mode == "tls":
            env.update({"GH_ENTERPRISE_TOKEN": token, "SSL_CERT_FILE": str(self.ca_file)})
        else:
            proxy = f"http://127.0.0.1:{self.port}"
            env.update({"GH_TOKEN": token, "HTTP_PROXY": proxy, "http_proxy": proxy})
        return env

    # -- identities and state --------------------------------------------------
    def add_user(self, login: str, token: str | None = None, name: str = "", type: str = "User") -> User:
        """Register a login; requests with `token` act as it."""
        return self.state.add_user(login, token, name=name, type=type)

    # -- request log -----------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        """The API request log: method, path (API-relative, e.g. `/repos/o/r` or `/graphql`), query, status,
        graphql_operation, user, time. Control routes are not in it; tokens never are."""
        return self._server.requests()

    def clear_requests(self) -> None:
        self._server.clear_requests()

    def exchanges(self) -> list[dict[str, Any]]:
        """Whole exchanges (request headers and body, status, response headers and body) of a hub made with
        `record=True`, for checks against GitHub's published descriptions; never the Authorization header."""
        if self._server.exchanges is None:
            raise RuntimeError("this hub does not record exchanges: FakeHub(record=True)")
        with self._server.log_lock:
            return list(self._server.exchanges)

    def upstream_count(self, path_prefix: str | None = None) -> int:
        """How many API requests were served (whose path starts with `path_prefix`; `/api/v3` is optional)."""
        if path_prefix is None:
            return len(self.requests())
        prefix = normalize_path(path_prefix)
        return sum(1 for entry in self.requests() if entry["path"].startswith(prefix))

    # -- fault injection -------------------------------------------------------
    def set_latency(self, ms: float) -> None:
        self._server.faults.latency_ms = ms

    def set_outage(self, status: int | None) -> None:
        self._server.faults.outage = status

    def set_search_lag(self, seconds: float) -> None:
        """Search answers only issues opened at least `seconds` ago, as GitHub's index trails; listing does not."""
        self.state.search_lag_s = seconds

    def set_rate_limited(self, kind: str | None) -> None:
        if kind not in (None, "primary", "secondary"):
            raise ValueError(f"rate limit kind must be 'primary', 'secondary' or None, not {kind!r}")
        self._server.faults.rate_limited = kind


def normalize_path(path: str) -> str:
    """Accept `/api/v3/x`, `/api/graphql` or the API-relative forms used in the log."""
    if path.startswith("/api/graphql"):
        return "/graphql" + path[len("/api/graphql") :]
    return path[len("/api/v3") :] if path.startswith("/api/v3") else path
