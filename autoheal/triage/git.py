"""The git side of a fix: a throw-away worktree of the default branch, a commit on its own branch, a push."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .github import TriageError

AUTHOR = ("autoheal", "autoheal@users.noreply.github.com")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git (never through a shell); its stdout, or a TriageError carrying its stderr."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise TriageError(f"git {args[0]} failed: {done.stderr.strip()[-400:]}")
    return done.stdout.strip()


@contextmanager
def worktree(workdir: Path, base: str, token: str | None) -> Iterator[Path]:
    """A detached worktree at the remote's `base`, removed afterwards whatever happens."""
    git(workdir, "fetch", "--quiet", "origin", base, env=_auth_env(workdir, token))
    path = Path(tempfile.mkdtemp(prefix="autoheal-tree-")) / "tree"
    git(workdir, "worktree", "add", "--quiet", "--detach", str(path), "FETCH_HEAD")
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=workdir, capture_output=True)
        shutil.rmtree(path.parent, ignore_errors=True)


def remote_has(workdir: Path, branch: str, token: str | None) -> bool:
    found = git(workdir, "ls-remote", "--heads", "origin", f"refs/heads/{branch}", env=_auth_env(workdir, token))
    return bool(found)


def commit(tree: Path, branch: str, paths: list[str], message: str) -> str:
    """Commit `paths` (only: the verification runs may have left files behind) on a new `branch`; its id."""
    git(tree, "switch", "--quiet", "-c", branch)
    git(tree, "add", "--", *paths)
    name, email = AUTHOR
    who = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    git(tree, "commit", "--quiet", "--no-verify", "-m", message, env={**os.environ, **who})
    return git(tree, "rev-parse", "HEAD")


def push(tree: Path, branch: str, token: str | None) -> None:
    git(tree, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", env=_auth_env(tree, token))


def _auth_env(cwd: Path, token: str | None) -> dict[str, str]:
    """git's environment; for an HTTPS remote the token goes in through git's environment config,
    never on a command line or into .git/config."""
    env = dict(os.environ)
    url = git(cwd, "remote", "get-url", "origin")
    if token and url.startswith("https://"):
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(
            {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraheader",
                "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
            }
        )
    return env
