"""Which gh invocations are cacheable reads, which are writes, and which pass through untouched.

Pure: argv and a few facts in, a Decision out; no I/O. It is an allowlist: a command not named in
READS is never answered from the cache, whatever it is.
"""

from __future__ import annotations

from .gh_commands import ALIASES, VALUE_FLAGS

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Read commands -> data class (which TTL applies).
READS: dict[str, str] = {
    "issue list": "issues",
    "issue view": "issues",
    "issue status": "issues",
    "pr list": "issues",
    "pr view": "issues",
    "pr status": "issues",
    "pr checks": "issues",
    "pr diff": "issues",
    "repo view": "repository",
    "repo list": "repository",
    "release list": "repository",
    "release view": "repository",
    "label list": "repository",
    "run list": "workflows",
    "run view": "workflows",
    "workflow list": "workflows",
    "workflow view": "workflows",
    "search issues": "issues",
    "search prs": "issues",
    "search repos": "repository",
    "search commits": "repository",
    "search code": "repository",
}

# Commands that change GitHub state -> the data classes whose cached reads they make stale.
_ISSUE_WRITES = (
    "close",
    "comment",
    "create",
    "delete",
    "develop",
    "edit",
    "lock",
    "pin",
    "reopen",
    "transfer",
    "unlock",
    "unpin",
)
_PR_WRITES = (
    "close",
    "comment",
    "create",
    "edit",
    "lock",
    "merge",
    "ready",
    "reopen",
    "revert",
    "review",
    "unlock",
    "update-branch",
)
WRITES: dict[str, tuple[str, ...]] = {
    **{f"issue {verb}": ("issues",) for verb in _ISSUE_WRITES},
    **{f"pr {verb}": ("issues",) for verb in _PR_WRITES},
    **{f"label {verb}": ("repository",) for verb in ("clone", "create", "delete", "edit")},
    **{f"release {verb}": ("repository",) for verb in ("create", "delete", "delete-asset", "edit", "upload")},
    **{
        f"repo {verb}": ("repository",)
        for verb in ("archive", "create", "delete", "edit", "fork", "rename", "sync", "unarchive")
    },
    **{f"run {verb}": ("workflows",) for verb in ("cancel", "delete", "rerun")},
    **{f"workflow {verb}": ("workflows",) for verb in ("disable", "enable", "run")},
}
ALL_CLASSES = ("repository", "workflows", "issues", "api")  # what an unscoped write may have changed

# Flags that make a read interactive, open a browser, stream, or print help: never cached.
_INTERACTIVE_LONG = ("--web", "--watch", "--help", "--interactive")
# Commands that prompt for a choice on a terminal when no positional argument names the object.
_PROMPTS_WITHOUT_ARG = ("run view", "workflow view")


class Decision:
    """What to do with one gh invocation."""

    __slots__ = ("action", "reason", "command", "data_class", "repo", "invalidates")

    def __init__(
        self,
        action: str,
        reason: str,
        command: str = "",
        data_class: str | None = None,
        repo: str | None = None,
        invalidates: tuple[str, ...] = (),
    ) -> None:
        self.action = action  # "read" (cacheable), "write" (pass through, then invalidate), "pass"
        self.reason = reason
        self.command = command
        self.data_class = data_class
        self.repo = repo  # repo named by the argv itself (-R, or `gh api repos/O/R/...`)
        self.invalidates = invalidates

    def __repr__(self) -> str:
        return f"Decision({self.action!r}, {self.reason!r}, class={self.data_class!r}, repo={self.repo!r})"


def _pass(reason: str, command: str = "") -> Decision:
    return Decision("pass", reason, command)


def command_path(argv: Sequence[str]) -> tuple[str, list[str]]:
    """Split argv into gh's command path ("issue list") and the rest, resolving aliases."""
    words: list[str] = []
    for arg in argv[:3]:
        if arg.startswith("-"):
            break
        candidate = " ".join(words + [arg])
        candidate = ALIASES.get(candidate, candidate)
        if candidate not in VALUE_FLAGS:
            break
        words = candidate.split()
    path = " ".join(words)
    return path, list(argv[len(path.split()) if path else 0 :]) if path else list(argv)


def _values(args: Sequence[str], names: tuple[str, ...]) -> list[str]:
    """Every value given to any of `names`: `-R x`, `-Rx`, `--repo x`, `--repo=x`."""
    found = []
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                found.append(args[index + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                found.append(arg[len(name) + 1 :])
            elif not name.startswith("--") and arg.startswith(name) and len(arg) > len(name) and arg[2] != "-":
                found.append(arg[len(name) :])
    return found


def _flag_value(args: Sequence[str], names: tuple[str, ...]) -> str | None:
    """The value gh uses for a flag given more than once: the last."""
    values = _values(args, names)
    return values[-1] if values else None


def _positionals(args: Sequence[str], value_flags: frozenset[str]) -> list[str]:
    """Arguments that are neither flags nor flag values."""
    result: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--":
            break
        elif arg.startswith("--"):
            skip = "=" not in arg and arg in value_flags
        elif arg.startswith("-") and len(arg) > 1:
            skip = len(arg) == 2 and arg in value_flags
        else:
            result.append(arg)
    return result


def _is_interactive(args: Sequence[str], value_flags: frozenset[str]) -> bool:
    for arg in args:
        if arg == "--":
            break
        name = arg.split("=", 1)[0]
        if name in _INTERACTIVE_LONG or arg == "-h":
            return True
        if arg == "-w" and "-w" not in value_flags:  # -w is --web except where it takes a value
            return True
    return False


def decide(argv: Sequence[str], *, stdin_tty: bool = False, stdout_tty: bool = False) -> Decision:
    """Classify one gh argv (without the leading "gh")."""
    if not argv:
        return _pass("no command")
    command, args = command_path(argv)
    if command == "api":
        return _decide_api(args)
    if command in WRITES:
        return Decision(
            "write",
            "changes GitHub state",
            command,
            repo=_flag_value(args, ("-R", "--repo")),
            invalidates=WRITES[command],
        )
    if command not in READS:
        return _pass("not a known read command", command or argv[0])
    value_flags = frozenset(VALUE_FLAGS[command].split())
    if _is_interactive(args, value_flags):
        return _pass("interactive, browser or help flag", command)
    if command in _PROMPTS_WITHOUT_ARG and stdin_tty and stdout_tty and not _positionals(args, value_flags):
        return _pass("would prompt on this terminal", command)
    repo = _flag_value(args, ("-R", "--repo")) if "-R" in value_flags else None
    if command == "repo view":
        repo = next(iter(_positionals(args, value_flags)), None)
    return Decision("read", "read-only command", command, READS[command], repo)


# --- gh api ---------------------------------------------------------------------------------


def _api_path_class(path: str) -> tuple[str, str | None]:
    """Data class and repo ("O/R") of a REST path."""
    parts = [part for part in path.split("?", 1)[0].strip("/").split("/") if part]
    if len(parts) >= 3 and parts[0] == "repos":
        repo, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        if _names_commit(rest):
            return "immutable", repo
        if rest[:1] == ["actions"]:
            return "workflows", repo
        if rest[:1] in (["issues"], ["pulls"]):
            return "issues", repo
        if not rest or rest[0] in (
            "releases",
            "labels",
            "tags",
            "branches",
            "topics",
            "languages",
            "contributors",
            "license",
            "readme",
        ):
            return "repository", repo
        return "api", repo
    if parts[:2] == ["search", "issues"]:
        return "issues", None
    return "api", None


def _is_sha(text: str) -> bool:
    return len(text) == 40 and all(char in "0123456789abcdef" for char in text.lower())


def _names_commit(rest: Sequence[str]) -> bool:
    """`commits/<sha>` or `git/{commits,trees,blobs,tags}/<sha>`: content addressed, never changes."""
    if len(rest) == 2 and rest[0] == "commits" and _is_sha(rest[1]):
        return True
    return len(rest) == 3 and rest[0] == "git" and rest[1] in ("commits", "trees", "blobs", "tags") and _is_sha(rest[2])


def _graphql_kind(fields: Sequence[str]) -> str:
    """ "read", "write" or "pass" for `gh api graphql`, from its query field."""
    for field in fields:
        key, _, value = field.partition("=")
        if key == "query":
            if value.startswith("@"):
                return "pass"
            words = value.replace("{", " { ").split()
            if "mutation" in words:
                return "write"
            return "pass" if "subscription" in words else "read"
    return "pass"


def _decide_api(args: Sequence[str]) -> Decision:
    value_flags = frozenset(VALUE_FLAGS["api"].split())
    if _is_interactive(args, value_flags) or "--verbose" in args:
        return _pass("interactive, help or verbose flag", "api")
    positionals = _positionals(args, value_flags)
    if len(positionals) != 1:
        return _pass("not a single endpoint", "api")
    endpoint = positionals[0]
    fields = _values(args, ("-f", "-F", "--field", "--raw-field"))
    if _flag_value(args, ("--input",)) is not None or any(f.partition("=")[2].startswith("@") for f in fields):
        return _pass("reads a file or stdin", "api")
    headers = [h.lower() for h in _values(args, ("-H", "--header"))]
    if any(h.startswith("authorization") for h in headers):
        return _pass("custom Authorization header", "api")
    method = (_flag_value(args, ("-X", "--method")) or ("POST" if fields else "GET")).upper()
    if endpoint.strip("/") == "graphql":
        kind = _graphql_kind(fields)
        if kind == "read" and method in ("GET", "POST"):
            return Decision("read", "GraphQL query", "api", "api")
        if kind == "write":
            return Decision("write", "GraphQL mutation", "api", invalidates=ALL_CLASSES)
        return _pass("GraphQL request that is not a plain query", "api")
    data_class, repo = _api_path_class(endpoint)
    if endpoint.strip("/").split("?")[0] == "rate_limit":
        return _pass("rate limit status is never cached", "api")
    if method in ("GET", "HEAD"):
        return Decision("read", f"{method} request", "api", data_class, repo)
    return Decision(
        "write",
        f"{method} request",
        "api",
        repo=repo,
        invalidates=(data_class,) if repo and data_class != "api" else ALL_CLASSES,
    )


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
