"""Settings from the environment, read once per process; standard library only (hot path)."""

from __future__ import annotations

import os
import sys
import time
from . import durations

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from typing import Mapping

# Data classes and their default TTLs (seconds). "api" is any other `gh api` read: short on purpose.
DEFAULT_TTLS: dict[str, float] = {
    "immutable": 365 * 86400.0,
    "repository": 3600.0,
    "workflows": 300.0,
    "issues": 120.0,
    "api": 60.0,
}
DEFAULT_MAX_SIZE = 512 * 1024**2
DEFAULT_MAX_STALE = 86400.0
DEFAULT_PEER_TIMEOUT_MS = 150.0


class Settings:
    """What one shim invocation needs to know; built by `load`, never mutated.

    A plain class: dataclasses cost ~25 ms to import, more than a whole cache hit.
    """

    __slots__ = ("enabled", "refresh", "cache_dir", "max_size", "max_stale", "ttls", "now_override",
                 "peer_timeout_ms")

    def __init__(self, *, enabled: bool = True, refresh: bool = False, cache_dir: str = "",
                 max_size: int = DEFAULT_MAX_SIZE, max_stale: float = DEFAULT_MAX_STALE,
                 ttls: dict[str, float] | None = None, now_override: float | None = None,
                 peer_timeout_ms: float = DEFAULT_PEER_TIMEOUT_MS) -> None:
        self.enabled = enabled
        self.refresh = refresh
        self.cache_dir = cache_dir
        self.max_size = max_size
        self.max_stale = max_stale
        self.ttls = dict(DEFAULT_TTLS) if ttls is None else ttls
        self.now_override = now_override
        self.peer_timeout_ms = peer_timeout_ms

    def now(self) -> float:
        """The clock; `GH_CACHE_NOW` pins it so tests can step over a TTL exactly."""
        return self.now_override if self.now_override is not None else time.time()

    def ttl(self, data_class: str) -> float:
        return self.ttls.get(data_class, DEFAULT_TTLS["api"])


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def default_cache_dir(env: Mapping[str, str]) -> str:
    """platformdirs' user cache dir for "ghcache".

    On Linux this is the XDG rule, computed here so the hit path stays standard-library only;
    elsewhere platformdirs is asked (a test checks both agree).
    """
    if sys.platform.startswith("linux"):
        base = env.get("XDG_CACHE_HOME", "").strip()
        if not base or not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(base, "ghcache")
    import platformdirs

    return platformdirs.user_cache_dir("ghcache", appauthor=False)


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read every GH_CACHE_* variable; raises durations.BadValue with a one-line message."""
    env = os.environ if env is None else env
    ttls = dict(DEFAULT_TTLS)
    for data_class in DEFAULT_TTLS:
        name = f"GH_CACHE_TTL_{data_class.upper()}"
        if env.get(name):
            ttls[data_class] = durations.seconds(env[name], name)
    now = env.get("GH_CACHE_NOW")
    return Settings(
        enabled=_flag(env, "GH_CACHE", True),
        refresh=_flag(env, "GH_CACHE_REFRESH", False),
        cache_dir=env.get("GH_CACHE_DIR") or default_cache_dir(env),
        max_size=durations.size(env["GH_CACHE_MAX_SIZE"], "GH_CACHE_MAX_SIZE")
        if env.get("GH_CACHE_MAX_SIZE")
        else DEFAULT_MAX_SIZE,
        max_stale=durations.seconds(env["GH_CACHE_MAX_STALE"], "GH_CACHE_MAX_STALE")
        if env.get("GH_CACHE_MAX_STALE")
        else DEFAULT_MAX_STALE,
        ttls=ttls,
        now_override=durations.seconds(now, "GH_CACHE_NOW") if now else None,
        peer_timeout_ms=durations.seconds(env["GH_CACHE_PEER_TIMEOUT_MS"], "GH_CACHE_PEER_TIMEOUT_MS")
        if env.get("GH_CACHE_PEER_TIMEOUT_MS")
        else DEFAULT_PEER_TIMEOUT_MS,
    )
