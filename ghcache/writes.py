"""The write path: gh runs untouched, and every read the write may have changed becomes stale.

The invalidation is recorded twice: before gh starts, so that a signal that kills us outright still
leaves it behind, and again once gh has finished, so that a read fetched while the write was still
under way is not taken for fresh afterwards. A SIGTERM, SIGINT, SIGHUP or SIGQUIT sent to the shim
is forwarded to gh (`runner.call`), and the shim still waits for gh and records the write before it
leaves with gh's status.
"""

from __future__ import annotations

import os

from . import invalidation, keys, runner, stats
from .call import warn
from .decision import ANY_REPO

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from .config import Settings
    from .decision import Decision


def _mark(settings: Settings, host: str, repos: tuple[str, ...]) -> bool:
    try:
        invalidation.mark(settings.cache_dir, host, repos, settings.now())
    except OSError:
        return False
    return True


def _tell_peers(settings: Settings, host: str, repos: tuple[str, ...], decision: Decision) -> None:
    """The daemon, if one runs, makes the namespace's shared copies of these reads stale too."""
    from .tiers.peer import PeerStore

    peers = PeerStore.for_settings(settings, os.environ)
    when = settings.now()
    for repo in repos:
        peers.invalidate(host, repo, decision.invalidates, when)


def run_write(settings: Settings, real_gh: str, args: list[str], decision: Decision) -> int:
    """Run a write untouched; afterwards the reads it may have changed are stale."""
    try:
        host, repos = invalidation.write_targets(decision, os.environ, os.getcwd())
    except (OSError, ValueError):  # no cwd, an unreadable checkout: every repo of the host
        host, repos = keys.host(os.environ, decision), (ANY_REPO,)
    recorded = _mark(settings, host, repos)
    code = runner.call(real_gh, args)
    recorded = _mark(settings, host, repos) and recorded
    _tell_peers(settings, host, repos, decision)
    if recorded:
        stats.record(settings.cache_dir, "write", "upstream")
    else:
        warn("could not record a write; cached reads of this repo may be stale until they expire")
    return code
