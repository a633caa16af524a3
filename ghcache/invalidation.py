"""Writes make cached reads stale: a tombstone per (host, repo) records when a write last touched it.

A write marks every repo it acts on (or ANY_REPO when its target is not certain) and the host as a
whole. A repo's tombstone is kept under the repo's own host (the "host/" it is named with), not
GH_HOST's: `GH_HOST=h gh issue close 1 -R o/r` and `gh issue view 1 -R h/o/r` must meet. A read of
one repo is stale when it was fetched before the newest write to that repo or to ANY_REPO; a read
that may depend on any repo (search, GraphQL, `gh api user/...`) is stale after any write on its
host. Checking two small files is cheaper than finding and deleting every affected entry, and it
also covers entries that arrive later from peers.

`write_targets` is the one place that says what a write invalidates; the peer daemon reuses it.
"""

from __future__ import annotations

from . import fastos
from .decision import ANY_REPO
from .digest import hexdigest
from .tiers.local import write_private_file

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .decision import Decision

HOST_WIDE = "\0host"  # the tombstone every write on a host touches
NEVER_STALE = ("immutable",)  # content-addressed reads no write can change


def _path(root: str, host: str, repo: str) -> str:
    return fastos.join(root, "invalidations", hexdigest("v2", host, repo)[:32])


def write_targets(decision: Decision, env: Mapping[str, str], cwd: str) -> tuple[str, tuple[str, ...]]:
    """(host, repos as "host/owner/name" or ANY_REPO) that this write may change.

    The repos the command names come first (`-R`, OWNER/REPO and URL arguments, `gh api repos/O/R`);
    the repo gh takes from GH_REPO or the checkout is added when the command may act on it. A target
    that cannot be resolved makes it every repo of the host.
    """
    from . import keys

    gh_host = (decision.hostname or keys.host(env)).lower()
    repos: list[str] = []
    for target in decision.targets:
        if target == ANY_REPO:
            repos.append(ANY_REPO)
        elif "{" in target:  # `{owner}/{repo}`: gh fills it from the context
            repos += _context_repos(env, cwd, gh_host)
        else:
            repos.append(keys.normalise_repo(target, gh_host))
    if decision.from_context:
        repos += _context_repos(env, cwd, gh_host)
    return gh_host, tuple(dict.fromkeys(repos)) or (ANY_REPO,)


def _context_repos(env: Mapping[str, str], cwd: str, gh_host: str) -> list[str]:
    """GH_REPO's repo and the checkout's: a write may act on either (GH_REPO counts only with -R)."""
    from . import gitctx, keys

    found = [keys.normalise_repo(env["GH_REPO"], gh_host)] if env.get("GH_REPO") else []
    try:
        repo, _branch = gitctx.resolve(cwd, env)
    except (OSError, ValueError, gitctx.Ambiguous):
        return [*found, ANY_REPO]
    return [*found, repo] if repo else found or [ANY_REPO]


def _host_of(host: str, repo: str) -> str:
    """The host a "host/owner/name" repo lives on: a write or read that names `-R HOST/o/r` (or a URL, or a
    remote on another host) talks to that host whatever GH_HOST says, so its tombstone is that host's."""
    return repo.partition("/")[0] if repo and repo != ANY_REPO and "/" in repo else host


def mark(root: str, host: str, repos: tuple[str, ...], now: float) -> None:
    """Record a write that may have changed `repos` (ANY_REPO: every repo of the host)."""
    stamp = repr(now).encode()
    hosts = {host}
    for repo in repos:
        repo = repo or ANY_REPO
        hosts.add(_host_of(host, repo))
        write_private_file(_path(root, _host_of(host, repo), repo), stamp)
    for each in sorted(hosts):
        write_private_file(_path(root, each, HOST_WIDE), stamp)


def _read_time(path: str) -> float:
    try:
        with open(path, "rb") as handle:
            return float(handle.read(64) or 0)
    except (OSError, ValueError):
        return 0.0


def last_write(root: str, host: str, repo: str, data_class: str, host_wide: bool = False) -> float:
    """When a write last made this read stale (0.0 if never); a read without one repo is host-wide.

    A repo's read checks its own tombstone and every-repo tombstones of the repo's host and, when the
    read was made with another host in force (GH_HOST, `--hostname`), of that one too."""
    if data_class in NEVER_STALE:
        return 0.0
    if host_wide or not repo:
        return _read_time(_path(root, host, HOST_WIDE))
    own = _host_of(host, repo)
    times = [_read_time(_path(root, own, repo)), _read_time(_path(root, own, ANY_REPO))]
    if own != host:
        times.append(_read_time(_path(root, host, ANY_REPO)))
    return max(times)
