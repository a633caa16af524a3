"""The repository gh would infer from the current directory, read from git's files directly.

gh resolves the repo from the git remotes (a `gh-resolved` remote first, then upstream, github,
origin) and some commands use the current branch. Spawning git costs milliseconds on every call,
so the few files involved are read here instead.
"""

from __future__ import annotations

import os

_REMOTE_PRIORITY = ("upstream", "github", "origin")


def _find_git_dir(start: str) -> str | None:
    path = os.path.abspath(start)
    while True:
        candidate = os.path.join(path, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):  # worktree or submodule: "gitdir: <path>"
            with open(candidate, encoding="utf-8", errors="replace") as handle:
                line = handle.readline().strip()
            if line.startswith("gitdir:"):
                return os.path.normpath(os.path.join(path, line[7:].strip()))
            return None
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _common_dir(git_dir: str) -> str:
    """Worktrees keep their config in the main repository's git dir."""
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as handle:
            return os.path.normpath(os.path.join(git_dir, handle.read().strip()))
    except OSError:
        return git_dir


def _remotes(config_text: str) -> dict[str, dict[str, str]]:
    """remote name -> its keys, from git config syntax (`[remote "origin"]`, `url = ...`)."""
    remotes: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in config_text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            header = line.strip("[]").strip()
            current = None
            if header.startswith("remote ") and '"' in header:
                current = remotes.setdefault(header.split('"')[1], {})
        elif current is not None and "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            current[key.strip().lower()] = value.strip().strip('"')
    return remotes


def normalise_remote_url(url: str) -> str | None:
    """ "host/owner/name" from https, ssh and scp-like git URLs."""
    rest = url.strip()
    if "://" in rest:
        rest = rest.split("://", 1)[1]
        rest = rest.split("@", 1)[-1]
        host, _, path = rest.partition("/")
        host = host.split(":", 1)[0] if not host.startswith("[") else host
    elif ":" in rest:  # git@github.com:owner/name.git
        host, _, path = rest.split("@", 1)[-1].partition(":")
    else:
        return None
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    parts = path.split("/")
    if len(parts) < 2 or not host:
        return None
    return f"{host.lower()}/{parts[-2].lower()}/{parts[-1].lower()}"


def _pick_remote(remotes: dict[str, dict[str, str]]) -> str | None:
    for name, keys in sorted(remotes.items()):
        if keys.get("gh-resolved"):
            return name
    for name in _REMOTE_PRIORITY:
        if name in remotes:
            return name
    return sorted(remotes)[0] if remotes else None


def _branch(git_dir: str) -> str | None:
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
    except OSError:
        return None
    return head[len("ref: refs/heads/") :] if head.startswith("ref: refs/heads/") else head


def resolve(cwd: str) -> tuple[str | None, str | None]:
    """("host/owner/name" of the remote gh would pick, current branch); Nones outside a checkout."""
    git_dir = _find_git_dir(cwd)
    if git_dir is None:
        return None, None
    try:
        with open(os.path.join(_common_dir(git_dir), "config"), encoding="utf-8", errors="replace") as handle:
            remotes = _remotes(handle.read())
    except OSError:
        remotes = {}
    name = _pick_remote(remotes)
    repo = normalise_remote_url(remotes[name].get("url", "")) if name else None
    return repo, _branch(git_dir)
