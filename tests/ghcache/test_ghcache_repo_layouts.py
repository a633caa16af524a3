"""Repository context exactly as gh resolves it, proven differentially over a table of layouts.

For each layout (remotes and their names, URL forms, insteadOf/pushInsteadOf, gh-resolved, GIT_DIR,
worktrees, submodules, includes, GH_REPO, several hosts...), `gh repo view --json nameWithOwner`
through the real gh must name the repo in the shim's key. Where the shim cannot be sure it passes
the command through (gitctx.Ambiguous): that is allowed, a different repo never is.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from support import REAL_GH

from ghcache import gitctx, keys, policy

HOST = "github.localhost"
URL = f"https://{HOST}"
Layout = Callable[[Path, dict[str, str]], Path]  # (home, env) -> cwd; may add to env


def _git(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, env=env, check=True, capture_output=True
    )


def _repo(home: Path, env: dict[str, str], remotes: dict[str, str], name: str = "work") -> Path:
    path = home / name
    path.mkdir(parents=True)
    _git("init", "-q", "-b", "main", cwd=path, env=env)
    for remote, url in remotes.items():
        _git("remote", "add", remote, url, cwd=path, env=env)
    return path


def _simple(remotes: dict[str, str]) -> Layout:
    return lambda home, env: _repo(home, env, remotes)


def _with_config(remotes: dict[str, str], *settings: tuple[str, str], scope: str = "--local") -> Layout:
    def build(home: Path, env: dict[str, str]) -> Path:
        path = _repo(home, env, remotes)
        for key, value in settings:
            _git("config", scope, "--add", key, value, cwd=path, env=env)
        return path

    return build


def _subdir(home: Path, env: dict[str, str]) -> Path:
    path = _repo(home, env, {"origin": f"{URL}/octo/hello.git"}) / "a" / "b"
    path.mkdir(parents=True)
    return path


def _worktree(home: Path, env: dict[str, str]) -> Path:
    main = _repo(home, env, {"origin": f"{URL}/octo/alpha.git"})
    _git("commit", "-q", "--allow-empty", "-m", "x", cwd=main, env=env)
    _git("worktree", "add", "-q", str(home / "wt"), "-b", "feature", cwd=main, env=env)
    return home / "wt"


def _submodule(home: Path, env: dict[str, str]) -> Path:
    inner = _repo(home, env, {"origin": f"{URL}/octo/beta.git"}, "inner")
    _git("commit", "-q", "--allow-empty", "-m", "x", cwd=inner, env=env)
    outer = _repo(home, env, {"origin": f"{URL}/octo/hello.git"}, "outer")
    _git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sub", cwd=outer, env=env)
    _git("-C", "sub", "remote", "set-url", "origin", f"{URL}/octo/beta.git", cwd=outer, env=env)
    return outer / "sub"


def _git_dir_env(work_tree: bool) -> Layout:
    def build(home: Path, env: dict[str, str]) -> Path:
        path = _repo(home, env, {"origin": f"{URL}/octo/alpha.git"})
        elsewhere = home / "elsewhere"
        elsewhere.mkdir()
        env["GIT_DIR"] = str(path / ".git")
        if work_tree:
            env["GIT_WORK_TREE"] = str(path)
        return elsewhere

    return build


def _global_instead_of(home: Path, env: dict[str, str]) -> Path:
    (home / ".gitconfig").write_text(f'[url "{URL}/"]\n\tinsteadOf = gh:\n')
    return _repo(home, env, {"origin": "gh:octo/beta"})


def _include(kind: str) -> Layout:
    def build(home: Path, env: dict[str, str]) -> Path:
        (home / "extra.cfg").write_text(f'[remote "upstream"]\n\turl = {URL}/octo/beta.git\n')
        path = _repo(home, env, {"origin": f"{URL}/octo/hello.git"})
        section = "[include]" if kind == "include" else f'[includeIf "gitdir:{path}/"]'
        with open(path / ".git" / "config", "a") as handle:
            handle.write(f"{section}\n\tpath = {home / 'extra.cfg'}\n")
        return path

    return build


def _gh_repo_env(home: Path, env: dict[str, str]) -> Path:
    env["GH_REPO"] = "octo/beta"
    return _repo(home, env, {"origin": f"{URL}/octo/hello.git"})


def _hand_written_config(home: Path, env: dict[str, str]) -> Path:
    path = _repo(home, env, {})
    with open(path / ".git" / "config", "a") as handle:
        handle.write(f'[remote "origin"] ; comment\n\turl = "{URL}/octo/alpha.git" # trailing\n\tfetch = x\n')
    return path


def _not_a_repo(home: Path, env: dict[str, str]) -> Path:
    path = home / "plain"
    path.mkdir()
    return path


LAYOUTS: dict[str, Layout] = {
    "origin https": _simple({"origin": f"{URL}/octo/hello.git"}),
    "origin without .git": _simple({"origin": f"{URL}/octo/hello"}),
    "origin trailing slash": _simple({"origin": f"{URL}/octo/hello/"}),
    "origin scp-like ssh": _simple({"origin": f"git@{HOST}:octo/hello.git"}),
    "origin ssh url": _simple({"origin": f"ssh://git@{HOST}/octo/hello.git"}),
    "origin with user": _simple({"origin": f"https://someone@{HOST}/octo/hello.git"}),
    "origin mixed case": _simple({"origin": "https://GitHub.LocalHost/Octo/Hello.git"}),
    "origin on a subdomain": _simple({"origin": f"https://api.{HOST}/octo/hello.git"}),
    "upstream beats origin": _simple({"origin": f"{URL}/octo/hello.git", "upstream": f"{URL}/octo/alpha.git"}),
    "github beats origin": _simple({"origin": f"{URL}/octo/hello.git", "github": f"{URL}/octo/beta.git"}),
    "upstream beats github": _simple(
        {"origin": f"{URL}/octo/hello.git", "github": f"{URL}/octo/beta.git", "upstream": f"{URL}/octo/alpha.git"}
    ),
    "Upstream in capitals": _simple({"origin": f"{URL}/octo/hello.git", "Upstream": f"{URL}/octo/alpha.git"}),
    "origin beats others": _simple({"zzz": f"{URL}/octo/beta.git", "origin": f"{URL}/octo/alpha.git"}),
    "two unranked remotes": _simple({"aaa": f"{URL}/octo/alpha.git", "bbb": f"{URL}/octo/beta.git"}),
    "one unranked remote": _simple({"mine": f"{URL}/octo/beta.git"}),
    "other host skipped": _simple(
        {"upstream": "https://gitlab.example/octo/alpha.git", "origin": f"{URL}/octo/hello.git"}
    ),
    "three-part path skipped": _simple({"upstream": f"{URL}/a/b/c", "origin": f"{URL}/octo/hello.git"}),
    "local path skipped": _simple({"upstream": "/srv/git/alpha.git", "origin": f"{URL}/octo/hello.git"}),
    "gh-resolved base": _with_config(
        {"origin": f"{URL}/octo/hello.git", "upstream": f"{URL}/octo/alpha.git"}, ("remote.origin.gh-resolved", "base")
    ),
    "gh-resolved owner/repo": _with_config(
        {"origin": f"{URL}/octo/hello.git"}, ("remote.origin.gh-resolved", "octo/beta")
    ),
    "insteadOf": _with_config({"origin": "gh:octo/alpha"}, (f"url.{URL}/.insteadOf", "gh:")),
    "insteadOf longest match": _with_config(
        {"origin": "gh:octo/alpha"},
        (f"url.{URL}/octo/.insteadOf", "gh:octo/"),
        ("url.https://nowhere/.insteadOf", "gh:"),
    ),
    "global insteadOf": _global_instead_of,
    "pushInsteadOf only for push": _with_config(
        {"origin": f"{URL}/octo/alpha.git"}, (f"url.{URL}/octo/beta-.pushInsteadOf", f"{URL}/octo/")
    ),
    "pushurl on another host": _with_config(
        {"origin": f"{URL}/octo/hello.git"}, ("remote.origin.pushurl", "https://gitlab.example/o/r.git")
    ),
    "fetch url on another host, push url ours": _with_config(
        {"origin": "https://gitlab.example/o/r.git"}, ("remote.origin.pushurl", f"{URL}/octo/alpha.git")
    ),
    "two urls, first wins": _with_config(
        {"origin": f"{URL}/octo/beta.git"}, ("remote.origin.url", f"{URL}/octo/hello.git")
    ),
    "subdirectory": _subdir,
    "worktree": _worktree,
    "submodule": _submodule,
    "GIT_DIR": _git_dir_env(False),
    "GIT_DIR and GIT_WORK_TREE": _git_dir_env(True),
    "include": _include("include"),
    "includeIf": _include("includeIf"),
    "GH_REPO wins": _gh_repo_env,
    "hand-written config": _hand_written_config,
    "not a repository": _not_a_repo,
}


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="plain") as running:
        for name in ("octo/alpha", "octo/beta"):
            running.state.add_repo(name)
        yield running


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_the_shim_keys_the_repo_gh_acts_on(hub: FakeHub, tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, **hub.gh_env(home=home), "GIT_CONFIG_NOSYSTEM": "1"}
    for variable in [variable for variable in env if variable.startswith("GIT_") and variable != "GIT_CONFIG_NOSYSTEM"]:
        del env[variable]
    cwd = LAYOUTS[name](home, env)
    argv = ["repo", "view", "--json", "nameWithOwner"]
    done = subprocess.run([REAL_GH, *argv], cwd=cwd, env=env, capture_output=True, timeout=60)
    try:
        ours, _branch = keys.repo_context(policy.decide(argv), env, str(cwd))
    except gitctx.Ambiguous:
        return  # passed through: gh decides, nothing is cached
    if done.returncode != 0:
        return  # gh failed: a failure is never stored, whatever the key says
    theirs = json.loads(done.stdout)["nameWithOwner"]
    assert ours == f"{HOST}/{theirs}".lower(), (name, done.stdout)


def test_most_layouts_are_resolved_not_passed_through(hub: FakeHub, tmp_path: Path) -> None:
    passed = []
    for name, layout in LAYOUTS.items():
        home = tmp_path / name.replace(" ", "_").replace("/", "_")
        home.mkdir()
        env = {**os.environ, **hub.gh_env(home=home), "GIT_CONFIG_NOSYSTEM": "1"}
        cwd = layout(home, env)
        try:
            keys.repo_context(policy.decide(["repo", "view"]), env, str(cwd))
        except gitctx.Ambiguous:
            passed.append(name)
    assert len(LAYOUTS) >= 30
    assert set(passed) <= {"two unranked remotes", "include", "includeIf"}, passed


def test_a_port_in_gh_host_matches_no_remote_as_in_gh(tmp_path: Path) -> None:
    """gh compares GH_HOST, port included, with each remote's host name (never a port): with a port in
    GH_HOST no remote matches, gh names no repo, and neither does the shim's key."""
    with FakeHub(mode="tls") as tls:
        host = tls.gh_env(home=tmp_path)["GH_HOST"]
        assert ":" in host
        forms = {
            "https with the port": f"https://{host}/octo/hello.git",
            "https without it": "https://localhost/octo/hello.git",
            "scp-like": "git@localhost:octo/hello.git",
            "ssh with the port": f"ssh://git@{host}/octo/hello.git",
        }
        for name, url in forms.items():
            home = tmp_path / name.replace(" ", "_")
            home.mkdir()
            env = {**os.environ, **tls.gh_env(home=home), "GIT_CONFIG_NOSYSTEM": "1"}
            env.pop("GH_REPO", None)
            cwd = _repo(home, env, {"origin": url})
            argv = ["repo", "view", "--json", "nameWithOwner"]
            done = subprocess.run([REAL_GH, *argv], cwd=cwd, env=env, capture_output=True, timeout=60)
            assert done.returncode != 0 and b"GH_HOST" in done.stderr, (name, done.stdout)
            ours, _branch = keys.repo_context(policy.decide(argv), env, str(cwd))
            assert ours == "", (name, ours)  # no repo
