"""The daemon's settings from the environment; standard library only and light (the shim's miss
path reads the namespace here, and dataclasses or typing would cost it ~10 ms to import)."""

from __future__ import annotations

import os

from .. import config

TYPE_CHECKING = False  # annotations are never evaluated
if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4701"
DEFAULT_IPFS_API = "/ip4/127.0.0.1/tcp/5001/http"
DEFAULT_MAX_PEERS = 32
DEFAULT_MAX_INBOUND = 64  # inbound connections kept at most; a relay or bootstrap peer of a big matrix wants more
NO_LISTEN = "none"  # GH_CACHE_P2P_LISTEN=none: accept no inbound connections (dial out only)
DEFAULT_WAIT_MS = 20000  # how long a shim waits for another runner's fetch of the same read


def namespace(env: Mapping[str, str]) -> str:
    """The sharing scope: entries are shared only between machines with the same namespace and secret."""
    return env.get("GH_CACHE_NAMESPACE") or "default"


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    return default if not value else value not in ("0", "false", "no", "off")


def _words(text: str) -> tuple[str, ...]:
    return tuple(word for word in text.replace(",", " ").split() if word)


def _listen(env: Mapping[str, str]) -> tuple[str, ...]:
    words = _words(env.get("GH_CACHE_P2P_LISTEN", "")) or (DEFAULT_LISTEN,)
    return () if words == (NO_LISTEN,) else words


def wait_ms(env: Mapping[str, str]) -> float:
    """GH_CACHE_PEER_WAIT_MS: the bound on waiting for another runner's fetch (0: never wait)."""
    try:
        return max(float(env.get("GH_CACHE_PEER_WAIT_MS") or DEFAULT_WAIT_MS), 0.0)
    except ValueError:
        return float(DEFAULT_WAIT_MS)


class DaemonSettings:
    """What one daemon runs with; built by `from_env`, never mutated."""

    __slots__ = (
        "p2p",
        "ipfs",
        "listen",
        "bootstrap",
        "max_peers",
        "max_inbound",
        "relays",
        "relay_service",
        "mdns",
        "mdns_interfaces",
        "ipfs_api",
        "ipfs_timeout",
        "max_size",
    )

    def __init__(
        self,
        *,
        p2p: bool,
        ipfs: bool,
        listen: tuple[str, ...],
        bootstrap: tuple[str, ...],
        max_peers: int,
        max_inbound: int,
        relays: tuple[str, ...],
        relay_service: bool,
        mdns: bool,
        mdns_interfaces: tuple[str, ...],
        ipfs_api: str,
        ipfs_timeout: float,
        max_size: int,
    ) -> None:
        self.p2p, self.ipfs, self.listen, self.bootstrap = p2p, ipfs, listen, bootstrap
        self.max_peers, self.max_inbound = max_peers, max_inbound
        self.relays, self.relay_service = relays, relay_service
        self.mdns, self.mdns_interfaces = mdns, mdns_interfaces
        self.ipfs_api, self.ipfs_timeout = ipfs_api, ipfs_timeout
        self.max_size = max_size

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DaemonSettings:
        """GH_CACHE_P2P (default on), GH_CACHE_IPFS (default off: it needs a node), their knobs, and
        GH_CACHE_MAX_SIZE, which caps the daemon's shelf as it caps the local tier. GH_CACHE_P2P_RELAY
        names relay peers to be reachable through (a runner nothing can dial);
        GH_CACHE_P2P_RELAY_SERVICE makes this daemon such a relay for members."""
        env = os.environ if env is None else env
        return cls(
            p2p=_flag(env, "GH_CACHE_P2P", True),
            ipfs=_flag(env, "GH_CACHE_IPFS", False),
            listen=_listen(env),
            bootstrap=_words(env.get("GH_CACHE_P2P_BOOTSTRAP", "")),
            max_peers=max(int(env.get("GH_CACHE_P2P_MAX_PEERS") or DEFAULT_MAX_PEERS), 1),
            max_inbound=max(int(env.get("GH_CACHE_P2P_MAX_INBOUND") or DEFAULT_MAX_INBOUND), 1),
            relays=_words(env.get("GH_CACHE_P2P_RELAY", "")),
            relay_service=_flag(env, "GH_CACHE_P2P_RELAY_SERVICE", False),
            mdns=_flag(env, "GH_CACHE_P2P_MDNS", True),
            mdns_interfaces=_words(env.get("GH_CACHE_P2P_MDNS_INTERFACES", "")),
            ipfs_api=env.get("GH_CACHE_IPFS_API") or DEFAULT_IPFS_API,
            ipfs_timeout=float(env.get("GH_CACHE_IPFS_TIMEOUT") or 10.0),
            max_size=config.load(env).max_size,
        )
