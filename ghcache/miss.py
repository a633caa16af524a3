"""The miss path: single-flight, other tiers, the real gh, store, and stale fallback.

Imported only when the local tier has no usable entry, so it may use anything.
"""

from __future__ import annotations

import os
import time

from . import runner, stats
from .call import Call, replay, warn
from .entry import Entry, pack_order
from .flight import SingleFlight
from .tiers.local import make_private_dirs
from .tiers.peer import PeerStore

LOCK_TIMEOUT = 120.0  # longer than any sane gh read; past it we fetch without the lock
STORE_FRACTION = 2  # an output over half of GH_CACHE_MAX_SIZE would evict most of it: streamed, never stored


def _info(call: Call) -> bytes:
    import json  # only after running gh: a peer hit must not pay its ~7 ms import

    return json.dumps(
        {
            "command": call.decision.command,
            "class": call.decision.data_class,
            "host": call.inputs.host,
            "repo": call.inputs.repo,
        }
    ).encode()


def _entry(call: Call, result: runner.Result, started: float, ttl: float) -> Entry:
    return Entry(
        result.stdout,
        result.stderr,
        result.exit_code,
        started,
        started + ttl,
        _info(call),
        pack_order(result.segments),
        call.key,
    )


def _store(call: Call, result: runner.Result, started: float, peers: PeerTier) -> None:
    ttl = call.settings.ttl(call.decision.data_class or "api")
    if ttl <= 0:
        return
    entry = _entry(call, result, started, ttl)
    root = call.settings.cache_dir
    try:
        call.store.put(call.key, entry)
        for _evicted in call.store.evict_to(call.settings.max_size, keep=call.key):
            stats.record(root, "evict", "local")
    except OSError:  # full disk, read-only dir, file size limit: the answer still went out
        stats.record(root, "error", "local")
    peers.store.put(peers.key, entry)  # to the daemon, which shares it after we have gone


def handle_miss(call: Call) -> int:
    root = call.settings.cache_dir
    try:
        make_private_dirs(root)
    except OSError as error:  # no cache dir can be had: gh alone still answers
        warn(f"cache unavailable ({error.strerror}); running gh directly")
        runner.exec_real(call.real_gh, call.args)
    stats.record(root, "miss", "local")
    with SingleFlight(root, call.key, LOCK_TIMEOUT) as locked:
        cached = call.store.get(call.key)  # read once: a fresh copy or a stale fallback
        if locked and not call.settings.refresh and call.usable(cached, call.settings.now()):
            stats.record(root, "hit", "local", len(cached.stdout) + len(cached.stderr))
            return replay(cached)  # another process fetched it while we waited for the lock
        peers = _peer_tier(call)
        shared = _from_peers(call, peers)  # the daemon's tiers, under the peer deadline
        if shared is not None:
            return shared
        return _fetch(call, cached, peers)


# -- peer tier: the daemon, if one runs; none = local tier only, silently ----------------------------
class PeerTier:
    """The daemon's store and this call's shared key (no token fingerprint in it), made once per miss."""

    __slots__ = ("store", "key")

    def __init__(self, store: PeerStore, key: str) -> None:
        self.store = store
        self.key = key


def _peer_tier(call: Call) -> PeerTier:
    from .daemon.settings import namespace

    return PeerTier(PeerStore.for_settings(call.settings, os.environ), call.inputs.shared_key(namespace(os.environ)))


def _from_peers(call: Call, tier: PeerTier) -> int | None:
    """Replay an entry another machine fetched, and keep a local copy; None to run gh."""
    if call.settings.refresh:
        return None
    peers = tier.store
    clock = time.monotonic()
    entry = peers.get(tier.key)
    root = call.settings.cache_dir
    if peers.waited_ms is not None:  # for another runner's fetch of this read (distributed single-flight)
        stats.record(root, "wait", "peer", 0, peers.waited_ms)
    if not call.usable(entry, call.settings.now()):
        if peers.answered:
            stats.record(root, "miss", "peer", 0, (time.monotonic() - clock) * 1000)
        return None
    stats.record(root, "hit", peers.source, len(entry.stdout) + len(entry.stderr), (time.monotonic() - clock) * 1000)
    try:
        call.store.put(call.key, entry)
    except OSError:
        stats.record(root, "error", "local")
    return replay(entry)


# -- end peer tier ------------------------------------------------------------------------------------


def _fetch(call: Call, cached: Entry | None, peers: PeerTier) -> int:
    root = call.settings.cache_dir
    started = call.settings.now()
    stale = cached if cached is not None and cached.servable_stale(started, call.settings.max_stale) else None
    clock = time.monotonic()
    try:
        limit = call.settings.max_size // STORE_FRACTION
        result = runner.run(call.real_gh, call.args, os.environ, tee=stale is None, limit=limit)
    except OSError as error:  # no pseudo-terminal to be had, say: gh on its own still answers
        warn(f"cannot capture gh's output ({error.strerror}); running gh directly")
        runner.exec_real(call.real_gh, call.args)
    stats.record(root, "run", "upstream", len(result.stdout) + len(result.stderr), (time.monotonic() - clock) * 1000)
    if result.oversized:  # streamed through as it came; nothing kept, nothing to fall back on
        return _ended(result)
    if result.exit_code == 0:
        _store(call, result, started, peers)
    elif stale is not None and runner.is_transient_failure(result):
        age = int(started - stale.created)
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
        message = f"served a cached result from {age}s ago because gh failed: {reason[0][:200]}"
        if os.environ.get("GITHUB_ACTIONS") == "true":  # an annotation on the run, not just a log line
            os.write(2, f"::warning title=ghcache::{message}\n".encode())
        warn(message)
        stats.record(root, "stale", "local", len(stale.stdout) + len(stale.stderr))
        return replay(stale)
    if stale is not None:  # not teed while we waited to see whether to fall back
        return replay(_entry(call, result, started, 0.0))
    return _ended(result)


def _ended(result: runner.Result) -> int:
    """gh's exit code; if our reader closed the pipe on us, end the way gh alone would have (SIGPIPE)."""
    if result.broken_pipe:
        import signal

        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    return result.exit_code
