"""Settings from the environment, read once per process, and the units they are written in
("90", "5m", "1h", "500M"); standard library only (hot path)."""

from __future__ import annotations

import sys
import time

from . import fastos

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Mapping

_TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_SIZE_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
# Beyond these a value is a typo or an attack (`1e300`); entries store times and sizes in 64 bits.
_LIMITS = {"duration": 100 * 31536000.0, "size": float(1 << 60)}
# Every setting the shim reads; any other GH_CACHE_* variable is a misspelling, and we say so.
KNOWN = frozenset(
    {
        "GH_CACHE",
        "GH_CACHE_REFRESH",
        "GH_CACHE_DIR",
        "GH_CACHE_MAX_SIZE",
        "GH_CACHE_MAX_STALE",
        "GH_CACHE_REAL_GH",
        "GH_CACHE_PYTHON",
        "GH_CACHE_PYZ",
        "GH_CACHE_SHIM_DIR",
        "GH_CACHE_STEP_SUMMARY",
        "GH_CACHE_PEER_TIMEOUT_MS",
        "GH_CACHE_NOW",
        "GH_CACHE_TTL_IMMUTABLE",
        "GH_CACHE_TTL_REPOSITORY",
        "GH_CACHE_TTL_WORKFLOWS",
        "GH_CACHE_TTL_ISSUES",
        "GH_CACHE_TTL_API",
    }
)
# Read elsewhere (the peer daemon, gh-cache.sh): known, not misspellings.
KNOWN_PREFIXES = (
    "GH_CACHE_P2P",
    "GH_CACHE_IPFS",
    "GH_CACHE_SHARED_",
    "GH_CACHE_DAEMON",
    "GH_CACHE_PEER",
    "GH_CACHE_BOOTSTRAP",
    "GH_CACHE_NAMESPACE",
)


class BadValue(ValueError):
    """A setting that cannot be parsed; its message is one line meant for the user."""


def _parse(text: str, units: dict[str, int], what: str, name: str) -> float:
    raw = text.strip().lower()
    if raw.endswith("ib"):  # "500MiB"
        raw = raw[:-2]
    elif raw.endswith("b") and len(raw) > 1 and raw[-2].isalpha():  # "500MB"
        raw = raw[:-1]
    scale = 1
    if raw and raw[-1] in units:
        scale, raw = units[raw[-1]], raw[:-1]
    try:
        value = float(raw)
    except ValueError:
        raise BadValue(f"{name}={text!r} is not a {what} (examples: {_example(units)})") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise BadValue(f"{name}={text!r} is not a {what} (examples: {_example(units)})")
    if value < 0:
        raise BadValue(f"{name}={text!r} must not be negative")
    if value * scale > _LIMITS[what]:
        raise BadValue(f"{name}={text!r} is too large")
    return value * scale


def _example(units: dict[str, int]) -> str:
    return "90s, 5m, 1h, 1d" if "h" in units else "1048576, 500M, 2G"


def seconds(text: str, name: str) -> float:
    """A duration in seconds; a bare number is seconds."""
    return _parse(text, _TIME_UNITS, "duration", name)


def size(text: str, name: str) -> int:
    """A size in bytes; K/M/G/T are powers of 1024."""
    return int(_parse(text, _SIZE_UNITS, "size", name))


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

    __slots__ = ("enabled", "refresh", "cache_dir", "max_size", "max_stale", "ttls", "now_override", "peer_timeout_ms")

    def __init__(
        self,
        *,
        enabled: bool = True,
        refresh: bool = False,
        cache_dir: str = "",
        max_size: int = DEFAULT_MAX_SIZE,
        max_stale: float = DEFAULT_MAX_STALE,
        ttls: dict[str, float] | None = None,
        now_override: float | None = None,
        peer_timeout_ms: float = DEFAULT_PEER_TIMEOUT_MS,
    ) -> None:
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
    word = value.strip().lower()
    if word in ("0", "false", "no", "off"):
        return False
    if word in ("1", "true", "yes", "on"):
        return True
    raise BadValue(f"{name}={value!r} is not 0 or 1 (or true/false, yes/no, on/off)")


def _cache_dir(env: Mapping[str, str]) -> str:
    """GH_CACHE_DIR with `~` expanded; a relative path would move with the working directory: refused."""
    raw = env.get("GH_CACHE_DIR")
    if not raw:
        return default_cache_dir(env)
    path = fastos.expanduser(raw)
    if not fastos.isabs(path):
        raise BadValue(f"GH_CACHE_DIR={raw!r} is not an absolute path")
    return path


def misspelling_notice(name: str) -> str:
    """One line for a GH_CACHE_* variable nothing reads, with the likeliest intended name."""
    import difflib  # only when there is a misspelling to explain

    close = difflib.get_close_matches(name, sorted(KNOWN), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{name} is not a ghcache setting{hint}; it is ignored"


def unknown_settings(env: Mapping[str, str]) -> list[str]:
    """GH_CACHE_* variables that no part of ghcache reads: misspellings, most likely."""
    return sorted(
        name
        for name in env
        if name.startswith("GH_CACHE_") and name not in KNOWN and not name.startswith(KNOWN_PREFIXES)
    )


def default_cache_dir(env: Mapping[str, str]) -> str:
    """platformdirs' user cache dir for "ghcache".

    On Linux this is the XDG rule, computed here so the hit path stays standard-library only;
    elsewhere platformdirs is asked (a test checks both agree).
    """
    platform = sys.platform  # not narrowed by the type checker: both branches are real
    if platform.startswith("linux"):
        base = env.get("XDG_CACHE_HOME", "").strip()
        if not base or not fastos.isabs(base):
            base = fastos.join(fastos.expanduser("~"), ".cache")
        return fastos.join(base, "ghcache")
    import platformdirs

    return platformdirs.user_cache_dir("ghcache", appauthor=False)


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read every GH_CACHE_* variable; raises BadValue with a one-line message."""
    env = fastos.environ() if env is None else env
    ttls = dict(DEFAULT_TTLS)
    for data_class in DEFAULT_TTLS:
        name = f"GH_CACHE_TTL_{data_class.upper()}"
        if env.get(name):
            ttls[data_class] = seconds(env[name], name)
    now = env.get("GH_CACHE_NOW")
    return Settings(
        enabled=_flag(env, "GH_CACHE", True),
        refresh=_flag(env, "GH_CACHE_REFRESH", False),
        cache_dir=_cache_dir(env),
        max_size=size(env["GH_CACHE_MAX_SIZE"], "GH_CACHE_MAX_SIZE")
        if env.get("GH_CACHE_MAX_SIZE")
        else DEFAULT_MAX_SIZE,
        max_stale=seconds(env["GH_CACHE_MAX_STALE"], "GH_CACHE_MAX_STALE")
        if env.get("GH_CACHE_MAX_STALE")
        else DEFAULT_MAX_STALE,
        ttls=ttls,
        now_override=seconds(now, "GH_CACHE_NOW") if now else None,
        peer_timeout_ms=seconds(env["GH_CACHE_PEER_TIMEOUT_MS"], "GH_CACHE_PEER_TIMEOUT_MS")
        if env.get("GH_CACHE_PEER_TIMEOUT_MS")
        else DEFAULT_PEER_TIMEOUT_MS,
    )
