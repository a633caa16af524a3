"""Cache keys: every input that changes what gh prints, hashed. Identity is a fingerprint, never a token."""

from __future__ import annotations

from . import fastos
from .digest import hexdigest

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .decision import Decision

TOKEN_VARS = ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
KEY_VERSION = "ghcache-key-2"
MACHINE_PATHS = ("GH_CONFIG_DIR",)  # left out of shared keys: paths differ between machines


def environment_inputs(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Environment variables that change what gh prints, as (name, value) pairs that are set."""
    return [(name, env[name]) for name in OUTPUT_ENV if name in env]


# Everything in the environment that changes gh's output or its target.
OUTPUT_ENV = (
    "GH_HOST",
    "GH_REPO",
    "GH_CONFIG_DIR",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "GH_FORCE_TTY",
    "GH_COLOR_LABELS",
    "GH_ACCESSIBLE_COLORS",
    "GH_MDWIDTH",
    "GLAMOUR_STYLE",
    "TERM",
    "COLORTERM",
    "TZ",
    "LANG",
    "LC_ALL",
    "LC_TIME",
    "LC_CTYPE",
    "GH_SPINNER_DISABLED",
    "GH_PROMPT_DISABLED",
)


class Terminal:
    """How gh would see its output streams: rendering differs on a terminal and with its width."""

    __slots__ = ("stdout_tty", "stderr_tty", "width")

    def __init__(self, stdout_tty: bool, stderr_tty: bool, width: int | None) -> None:
        self.stdout_tty = stdout_tty
        self.stderr_tty = stderr_tty
        self.width = width


class KeyInputs:
    """Everything the key is derived from (shown by `ghcache explain`); the identity is a fingerprint."""

    __slots__ = (
        "host",
        "identity",
        "repo",
        "branch",
        "argv",
        "env",
        "terminal",
        "gh_stamp",
        "config_digest",
        "files_digest",
        "personal",
    )

    def __init__(
        self,
        *,
        host: str,
        identity: str,
        repo: str,
        branch: str,
        argv: tuple[str, ...],
        env: tuple[tuple[str, str], ...],
        terminal: Terminal,
        gh_stamp: str,
        config_digest: str,
        files_digest: str = "",
        personal: bool = False,
    ) -> None:
        self.host = host
        self.identity = identity
        self.repo = repo
        self.branch = branch
        self.argv = argv
        self.env = env
        self.terminal = terminal
        self.gh_stamp = gh_stamp
        self.config_digest = config_digest
        self.files_digest = files_digest  # the local files the request carries (`-F k=@file`, `--input`)
        self.personal = personal  # the answer depends on who asks, even between machines

    def key(self) -> str:
        return hexdigest(
            KEY_VERSION,
            self.host,
            self.identity,
            self.repo,
            self.branch,
            *self.argv,
            "\0env",
            *(f"{name}={value}" for name, value in self.env),
            f"tty={int(self.terminal.stdout_tty)}{int(self.terminal.stderr_tty)}:{self.terminal.width}",
            self.gh_stamp,
            self.config_digest,
            self.files_digest,
        )

    # -- shared key (peer and IPFS tiers) --
    def shared_key(self, namespace: str) -> str:
        """The key across machines: no identity (runners have different tokens; the namespace secret
        scopes sharing instead) and no gh path, only its size as a stand-in for its version. A read whose
        answer depends on who asks (`gh api user`, `… status`, `@me`, GraphQL) keeps the identity."""
        parts = self.gh_stamp.rsplit(":", 2)
        gh_size = parts[1] if len(parts) == 3 else ""
        return hexdigest(
            KEY_VERSION,
            "shared",
            namespace,
            self.host,
            self.repo,
            self.branch,
            *self.argv,
            "\0env",
            *(f"{name}={value}" for name, value in self.env if name not in MACHINE_PATHS),
            f"tty={int(self.terminal.stdout_tty)}{int(self.terminal.stderr_tty)}:{self.terminal.width}",
            gh_size,
            self.config_digest,
            self.files_digest,
            self.identity if self.personal else "",
        )


def gh_settings(config_dir: str, name: str) -> list[str]:
    """Every top-level `name: value` of gh's config.yml, unquoted ([] when none or unreadable)."""
    prefix = name + ":"
    try:
        with open(fastos.join(config_dir, "config.yml"), encoding="utf-8", errors="replace") as handle:
            return [line[len(prefix) :].strip().strip("\"'") for line in handle if line.startswith(prefix)]
    except OSError:
        return []


def gh_config_dir(env: Mapping[str, str]) -> str:
    if env.get("GH_CONFIG_DIR"):
        return env["GH_CONFIG_DIR"]
    base = env.get("XDG_CONFIG_HOME") or fastos.join(fastos.expanduser("~"), ".config")
    return fastos.join(base, "gh")


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def identity(env: Mapping[str, str]) -> str:
    """A fingerprint of who gh acts as: the token variables, else the logged-in accounts file."""
    config_dir = gh_config_dir(env)
    tokens = [f"{name}={env[name]}" for name in TOKEN_VARS if env.get(name)]
    return hexdigest("identity", *tokens, _read(fastos.join(config_dir, "hosts.yml")))


def host(env: Mapping[str, str], decision: Decision | None = None) -> str:
    """The host gh talks to: `gh api --hostname`, else GH_HOST, else github.com."""
    named = decision.hostname if decision is not None else None
    return (named or env.get("GH_HOST") or "github.com").lower()


def normalise_repo(repo: str, default_host: str) -> str:
    """ "[HOST/]OWNER/NAME" (or a URL) -> "host/owner/name"."""
    if "://" in repo or repo.startswith("git@"):
        from . import gitctx

        return gitctx.normalise_remote_url(repo) or repo.lower()
    parts = repo.strip("/").lower().split("/")
    if len(parts) < 3:
        return f"{default_host}/{'/'.join(parts)}"
    if parts[0] != default_host:  # `-R www.github.com/o/r` is github.com's repo to gh, as its URL is
        from .gitctx import normalise_host

        parts[0] = normalise_host(parts[0].removeprefix("www."))
    return "/".join(parts)


def _viewer_owns(repo: str | None) -> bool:
    """`gh repo view NAME` without an owner: gh asks who the viewer is and shows the viewer's repo."""
    return repo is not None and repo != "" and "/" not in repo and not repo.startswith("git@")


def repo_context(decision: Decision, env: Mapping[str, str], cwd: str, can_prompt: bool = False) -> tuple[str, str]:
    """(repo, branch) the command acts on: named in argv, else GH_REPO, else the git remote gh picks.

    Raises gitctx.Ambiguous when gh's choice cannot be known from git's files (the shim then passes
    the command through)."""
    gh_host = host(env, decision)
    if _viewer_owns(decision.repo):
        return "", ""  # whose repo it is depends on who asks: stale after any write on the host
    if decision.repo and "{" not in decision.repo:
        return normalise_repo(decision.repo, gh_host), ""
    from . import gitctx  # only without -R: reading git's files is not needed otherwise

    if env.get("GH_REPO") and decision.honours_gh_repo:
        try:
            _repo, branch = gitctx.resolve(cwd, env)
        except gitctx.Ambiguous:
            branch = None  # the branch is a key input only; the repo is GH_REPO's
        return normalise_repo(env["GH_REPO"], gh_host), branch or ""
    git_repo, branch = gitctx.resolve(cwd, env, can_prompt)
    return git_repo or "", branch or ""


def gh_stamp(real_gh: str) -> str:
    """Which gh binary produced the output: its path, size and mtime (an upgrade changes all keys)."""
    try:
        info = fastos.stat(real_gh)
    except OSError:
        return real_gh
    return f"{real_gh}:{info.st_size}:{info.st_mtime_ns}"


def build(
    decision: Decision,
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    terminal: Terminal,
    real_gh: str,
    can_prompt: bool = False,
) -> KeyInputs:
    repo, branch = repo_context(decision, env, cwd, can_prompt)
    return KeyInputs(
        host=host(env, decision),
        identity=identity(env),
        repo=repo,
        branch=branch,
        argv=tuple(argv),
        env=tuple(environment_inputs(env)),
        terminal=terminal,
        gh_stamp=gh_stamp(real_gh),
        config_digest=hexdigest(_read(fastos.join(gh_config_dir(env), "config.yml"))),
        files_digest=hexdigest(*decision.inputs) if decision.inputs else "",
        personal=decision.personal or _viewer_owns(decision.repo),
    )
