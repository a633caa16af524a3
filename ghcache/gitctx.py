"""The repository gh would infer from the current directory, read from git's files directly.

gh asks git for the remotes (`git remote -v`, which applies `url.<base>.insteadOf` and, for push
URLs, `pushInsteadOf`) and their `gh-resolved` setting, keeps the remotes on the hosts it knows
(only GH_HOST's when it is set), sorts them upstream, github, origin, then the rest, and takes the
one `gh repo set-default` chose, else the first. Spawning git costs milliseconds on every call, so
the files git reads are read here instead: GIT_DIR, `.git` directories and `.git` files (worktrees,
submodules), the repository's `commondir`, the system, global and repository config files, and a
worktree's own `config.worktree` when `extensions.worktreeConfig` is on.

Whatever this cannot follow the way git and gh do raises Ambiguous, and the shim then passes the
command through rather than guess: an `include`/`includeIf`, other GIT_* variables that move the
config or the repository, an ssh host alias gh would translate through ~/.ssh/config, remotes of
several hosts when GH_HOST does not choose, several remotes of equal rank, or a terminal on which gh
would ask which repository to use.
"""

from __future__ import annotations

from . import fastos

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Mapping

_RANK = {"upstream": 3, "github": 2, "origin": 1}
# Variables that change which repository or which config git uses, beyond GIT_DIR and GIT_WORK_TREE.
_UNFOLLOWED_ENV = (
    "GIT_COMMON_DIR",
    "GIT_CONFIG",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CEILING_DIRECTORIES",
    "GIT_NAMESPACE",
)


class Ambiguous(ValueError):
    """gh's choice of repository cannot be known without running git, or gh would ask."""


# -- git config files -----------------------------------------------------------------------------------
def _unquote(raw: str) -> str:
    """A config value: quotes removed, escapes applied, a trailing `;`/`#` comment dropped."""
    out: list[str] = []
    quoted = False
    at = 0
    while at < len(raw):
        char = raw[at]
        if char == '"':
            quoted = not quoted
        elif char == "\\" and at + 1 < len(raw):
            at += 1
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(raw[at], raw[at]))
        elif char in ";#" and not quoted:
            break
        else:
            out.append(char)
        at += 1
    return "".join(out).strip()


def parse_config(text: str) -> list[tuple[str, str]]:
    """(section.subsection.key, value) in file order; section and key lower-cased, subsection kept."""
    entries: list[tuple[str, str]] = []
    section = ""
    pending = ""
    for raw in text.splitlines():
        line = pending + raw
        pending = ""
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            end = stripped.find("]")
            if end < 0:
                raise Ambiguous("a malformed config section")
            header = stripped[1:end].strip()
            name, _, sub = header.partition(" ")
            if sub.strip().startswith('"'):
                sub = sub.strip()[1:].rsplit('"', 1)[0].replace('\\"', '"').replace("\\\\", "\\")
                section = f"{name.lower()}.{sub}"
            elif "." in name:  # old-style [section.subsection]: subsection lower-cased
                section = name.lower()
            else:
                section = name.lower()
            rest = stripped[end + 1 :].strip()
            if rest and rest[0] not in "#;":
                stripped = rest  # `[core] bare = false` on one line
            else:
                continue
        key, equals, value = stripped.partition("=")
        entries.append((f"{section}.{key.strip().lower()}", _unquote(value) if equals else "true"))
    return entries


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except OSError:
        return None


def _config_files(env: Mapping[str, str], common_dir: str) -> list[str]:
    home = env.get("HOME") or fastos.expanduser("~")
    xdg = env.get("XDG_CONFIG_HOME") or fastos.join(home, ".config")
    files = [] if env.get("GIT_CONFIG_NOSYSTEM") else ["/etc/gitconfig"]
    return [
        *files,
        fastos.join(xdg, "git", "config"),
        fastos.join(home, ".gitconfig"),
        fastos.join(common_dir, "config"),
    ]


def _entries(path: str) -> list[tuple[str, str]]:
    text = _read_text(path)
    if text is None:
        return []
    entries = parse_config(text)
    if any(name.startswith(("include.", "includeif.")) for name, _ in entries):
        raise Ambiguous("the git config includes other files")
    return entries


def read_config(env: Mapping[str, str], common_dir: str, git_dir: str | None = None) -> list[tuple[str, str]]:
    """Every config entry git would see for this repository, in precedence order (last wins): with
    `extensions.worktreeConfig` set, the worktree's own `config.worktree` comes last."""
    entries: list[tuple[str, str]] = []
    for path in _config_files(env, common_dir):
        entries += _entries(path)
    worktree_config = [value for name, value in entries if name == "extensions.worktreeconfig"]
    if git_dir is not None and worktree_config and worktree_config[-1].lower() in ("true", "yes", "on", "1"):
        entries += _entries(fastos.join(git_dir, "config.worktree"))
    return entries


# -- finding the repository --------------------------------------------------------------------------------
def _gitdir_file(path: str) -> str:
    text = _read_text(path) or ""
    line = text.splitlines()[0].strip() if text else ""
    if not line.startswith("gitdir:"):
        raise Ambiguous("a .git file without gitdir")
    return fastos.normpath(fastos.join(fastos.dirname(path), line[7:].strip()))


def find_git_dir(cwd: str, env: Mapping[str, str]) -> str | None:
    """The git directory git would use from `cwd` (GIT_DIR, else the nearest .git up the tree)."""
    for name in _UNFOLLOWED_ENV:
        if env.get(name):
            raise Ambiguous(f"{name} is set")
    if env.get("GIT_DIR"):
        return fastos.normpath(fastos.join(cwd, env["GIT_DIR"]))
    path = fastos.abspath(cwd)
    while True:
        candidate = fastos.join(path, ".git")
        if fastos.isdir(candidate):
            return candidate
        if fastos.isfile(candidate):  # worktree or submodule: "gitdir: <path>"
            return _gitdir_file(candidate)
        if fastos.isfile(fastos.join(path, "HEAD")) and fastos.isdir(fastos.join(path, "objects")):
            raise Ambiguous("inside a bare repository")
        parent = fastos.dirname(path)
        if parent == path:
            return None
        path = parent


def _common_dir(git_dir: str) -> str:
    """Worktrees keep their config in the main repository's git dir."""
    text = _read_text(fastos.join(git_dir, "commondir"))
    return fastos.normpath(fastos.join(git_dir, text.strip())) if text else git_dir


# -- remotes as gh sees them ----------------------------------------------------------------------------
def _rewrite(url: str, rules: list[tuple[str, str]]) -> str:
    """git's insteadOf: the longest matching prefix is replaced by its base."""
    best = max((rule for rule in rules if url.startswith(rule[0])), key=lambda rule: len(rule[0]), default=None)
    return best[1] + url[len(best[0]) :] if best else url


def normalise_host(host: str) -> str:
    """gh's NormalizeHostname: any subdomain of github.com or github.localhost is that host."""
    host = host.lower()
    for base in ("github.com", "github.localhost"):
        if host.endswith("." + base):
            return base
    return host


# What gh's git.ParseURL takes for a URL: these prefixes, exactly (`HTTPS://` is not one of them). Anything
# else with a colon is scp-like to gh, rewritten as `ssh://` + the text with its first colon made a slash.
_URL_PREFIXES = ("ssh:", "git+ssh:", "git:", "http:", "git+https:", "https:", "ftp:", "ftps:", "file:")
_HEX = frozenset("0123456789abcdefABCDEF")


def _unescape(path: str) -> str | None:
    """The path as Go's url.Parse decodes it (`%61` is `a`, `%2F` a slash); None for a malformed escape,
    which makes url.Parse fail and gh skip the remote."""
    if "%" not in path:
        return path
    out = bytearray()
    at = 0
    while at < len(path):
        if path[at] == "%":
            digits = path[at + 1 : at + 3]
            if len(digits) != 2 or not set(digits) <= _HEX:
                return None
            out.append(int(digits, 16))
            at += 3
        else:
            out += path[at].encode()
            at += 1
    return out.decode("utf-8", "replace")


def repo_from_url(url: str) -> tuple[str, str] | None:
    """(host, "owner/name") as gh reads a git URL (git.ParseURL, then ghrepo.FromURL); None when gh would
    skip it. Ambiguous for the odd URLs whose parsing by Go's net/url is not mirrored here."""
    raw = url.strip()
    if not raw.startswith(_URL_PREFIXES):
        if ":" not in raw or "\\" in raw:
            return None  # a local path: no host
        raw = "ssh://" + raw.replace(":", "/", 1)
    if any(not "!" <= char <= "~" for char in raw):
        raise Ambiguous("a remote URL with spaces, control or non-ASCII characters")
    rest = raw.partition(":")[2].split("#", 1)[0].split("?", 1)[0]
    if not rest.startswith("//"):
        return None  # no authority (`file:/srv/x`, `https:o/r`): no host, and gh skips the remote
    netloc, slash, path = rest[2:].partition("/")
    hostport = netloc.rpartition("@")[2]
    if "[" in hostport or "%" in hostport or hostport.count(":") > 1:
        raise Ambiguous("an IPv6 or escaped host in a remote URL")
    host, _, port = hostport.partition(":")
    decoded = _unescape(slash + path)
    if not host or (port and not port.isdigit()) or decoded is None:
        return None  # url.Parse or FromURL refuses it: gh skips the remote
    parts = decoded.strip("/").split("/")
    if len(parts) != 2:
        return None
    name = parts[1].removesuffix(".git")
    if not parts[0] or not name:
        raise Ambiguous("a remote URL naming no repository")  # gh would take it and fail later
    return host.lower(), f"{parts[0]}/{name}"


class Remote:
    __slots__ = ("name", "host", "repo", "resolved")

    def __init__(self, name: str, host: str, repo: str, resolved: str) -> None:
        self.name = name
        self.host = host
        self.repo = repo
        self.resolved = resolved


def remotes(entries: list[tuple[str, str]], env: Mapping[str, str]) -> list[Remote]:
    """The remotes gh would know, with fetch URLs rewritten as `git remote -v` prints them."""
    urls: dict[str, list[str]] = {}
    push: dict[str, list[str]] = {}
    resolved: dict[str, str] = {}
    instead: list[tuple[str, str]] = []
    push_instead: list[tuple[str, str]] = []
    for name, value in entries:
        section, _, key = name.rpartition(".")
        kind, _, sub = section.partition(".")
        if kind == "remote" and sub:
            if key == "url":
                urls.setdefault(sub, []).append(value)
            elif key == "pushurl":
                push.setdefault(sub, []).append(value)
            elif key == "gh-resolved":
                resolved[sub] = value
        elif kind == "url" and sub and key == "insteadof":
            instead.append((value, sub))
        elif kind == "url" and sub and key == "pushinsteadof":
            push_instead.append((value, sub))
    found = []
    for name in sorted(set(urls) | set(push)):
        fetch = [_rewrite(url, instead) for url in urls.get(name, [])[:1]]
        pushes = [_rewrite(url, instead) for url in push.get(name, [])[:1]] or [
            _rewrite(url, push_instead) if _rewrite(url, push_instead) != url else _rewrite(url, instead)
            for url in urls.get(name, [])[:1]
        ]
        repo = None
        for url in fetch + pushes:  # gh tries the fetch URL first, then the push URL
            repo = repo_from_url(url)
            if repo:
                _check_ssh_alias(url, repo[0], env)
                break
        if repo:
            found.append(Remote(name, normalise_host(repo[0]), repo[1], resolved.get(name, "")))
    return found


def _check_ssh_alias(url: str, host: str, env: Mapping[str, str]) -> None:
    """gh translates ssh host aliases through ~/.ssh/config: an ssh URL whose host it names is not ours."""
    if "://" in url and not url.lower().startswith(("ssh", "git+ssh")):
        return
    home = env.get("HOME") or fastos.expanduser("~")
    config = _read_text(fastos.join(home, ".ssh", "config"))
    if config and host.lower() in config.lower():
        raise Ambiguous("an ssh host that ~/.ssh/config may translate")


def _known_hosts(env: Mapping[str, str]) -> set[str]:
    """The hosts whose remotes gh keeps: GH_HOST alone when set, else github.com and the logged-in hosts."""
    if env.get("GH_HOST"):
        return {normalise_host(env["GH_HOST"])}  # with its port, if any: a remote URL's host never has one
    hosts = {"github.com"}
    config_dir = env.get("GH_CONFIG_DIR") or fastos.join(
        env.get("XDG_CONFIG_HOME") or fastos.join(env.get("HOME") or fastos.expanduser("~"), ".config"), "gh"
    )
    for line in (_read_text(fastos.join(config_dir, "hosts.yml")) or "").splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and line.rstrip().endswith(":"):
            hosts.add(normalise_host(line.rstrip()[:-1].strip().strip("\"'")))
    return hosts


def choose(found: list[Remote], env: Mapping[str, str], can_prompt: bool) -> tuple[str, str] | None:
    """(host, owner/name) of the remote gh picks; None when no remote qualifies."""
    hosts = _known_hosts(env)
    found = [remote for remote in found if remote.host in hosts]
    if len({remote.host for remote in found}) > 1 and not env.get("GH_HOST"):
        raise Ambiguous("remotes on several GitHub hosts and no GH_HOST")
    if not found:
        return None
    found.sort(key=lambda remote: -_RANK.get(remote.name.lower(), 0))  # stable, like gh's sort here
    for remote in found:
        if remote.resolved == "base":
            return remote.host, remote.repo
        if remote.resolved:
            if remote.resolved.count("/") != 1:
                raise Ambiguous("an unreadable gh-resolved")
            return remote.host, remote.resolved
    if can_prompt:
        raise Ambiguous("gh would ask which repository to use")
    rank = _RANK.get(found[0].name.lower(), 0)
    top = {remote.repo.lower() for remote in found if _RANK.get(remote.name.lower(), 0) == rank}
    if len(top) > 1:  # gh would take the first in git's listing order
        raise Ambiguous("several remotes of the same rank")
    return found[0].host, found[0].repo


def _branch(git_dir: str) -> str | None:
    head = _read_text(fastos.join(git_dir, "HEAD"))
    if head is None:
        return None
    head = head.strip()
    return head[len("ref: refs/heads/") :] if head.startswith("ref: refs/heads/") else head


def resolve(cwd: str, env: Mapping[str, str] | None = None, can_prompt: bool = False) -> tuple[str | None, str | None]:
    """("host/owner/name" of the remote gh would pick, current branch); Nones outside a checkout."""
    env = fastos.environ() if env is None else env
    git_dir = find_git_dir(cwd, env)
    if git_dir is None:
        return None, None
    picked = choose(remotes(read_config(env, _common_dir(git_dir), git_dir), env), env, can_prompt)
    repo = f"{picked[0]}/{picked[1]}".lower() if picked else None
    return repo, _branch(git_dir)


def normalise_remote_url(url: str) -> str | None:
    """ "host/owner/name" from https, ssh and scp-like git URLs."""
    found = repo_from_url(url)
    return f"{normalise_host(found[0])}/{found[1]}".lower() if found else None
