"""Which gh invocations are cacheable reads, which are writes, and which pass through untouched.

argv is read exactly as gh reads it (`argv.parse`, driven by gh's own flag table); then an
allowlist decides. A command not named in READS is never answered from the cache, and anything
that is not known to leave GitHub unchanged is a write: it runs untouched and makes stale every
cached read it may have changed (all of the host's repos when its target is not certain).
`gh api` has its own module (`api_policy`), the only place that reads local files (`@file`,
`--input`) to see what a request carries.

On a terminal where gh may prompt (stdin and stdout terminals, prompts not disabled), a read that
can make gh ask the user is not cached: a replay would answer with the user's earlier choice without
asking. gh asks there for an argument left out (the commands gh itself says prompt for one,
`gh_commands.PROMPTS_WITHOUT_ARGUMENTS`) and for a workflow named ambiguously; which repo to use is
the key's question (`gitctx` passes it through when gh would ask).
"""

from __future__ import annotations

from . import fastos
from .argv import parse
from .decision import ALL_CLASSES, ANY_REPO, Decision, jq_reads_environment, repo_of, write
from .gh_commands import FLAGS, PROMPTS_WITHOUT_ARGUMENTS

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .argv import Parsed

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
# Command groups whose `-R` is gh's repo override, which GH_REPO stands in for (`repo view` has no -R,
# and search's `--repo` is a filter): elsewhere gh ignores GH_REPO.
REPO_OVERRIDE_GROUPS = ("issue", "pr", "release", "run", "workflow", "label", "cache", "secret", "variable", "ruleset")
# Reads whose answer depends on who asks (kept apart per identity in shared keys too).
_PERSONAL = ("issue status", "pr status")
# Commands that never change anything on GitHub but are not cached: they run untouched.
_LOCAL_OR_READ_ONLY = frozenset(
    {
        "",
        "alias delete",
        "alias import",
        "alias list",
        "alias set",
        "auth login",
        "auth logout",
        "auth refresh",
        "auth setup-git",
        "auth status",
        "auth switch",
        "auth token",
        "browse",
        "completion",
        "config clear-cache",
        "config get",
        "config list",
        "config set",
        "extension browse",
        "extension list",
        "extension search",
        "gist clone",
        "pr checkout",
        "repo clone",
        "status",
    }
)
# Verbs that only read, whatever the group (`secret list`, `run download`, `variable get`, ...).
_READ_ONLY_VERBS = frozenset(
    {"list", "view", "status", "download", "watch", "diff", "checks", "verify", "trusted-root", "get"}
)
# Flags that make a read interactive, open a browser, stream, or print help: never cached.
_INTERACTIVE = ("web", "watch", "interactive")
_DIGITS = frozenset("0123456789")


def _pass(reason: str, command: str = "") -> Decision:
    return Decision("pass", reason, command)


def _unsure(reason: str, command: str = "") -> Decision:
    """What the policy cannot be sure of is a write to every repo of the host."""
    return write(reason, command, (ANY_REPO,))


def _named_repos(parsed: Parsed) -> tuple[str, ...]:
    """Every repo the argv itself names: `-R` (each time), OWNER/REPO positionals and URLs."""
    named = list(parsed.values("repo"))
    for arg in parsed.positionals:
        repo = repo_of(arg)
        if repo:
            named.append(repo)
    return tuple(named)


def _workflow_selector(parsed: Parsed, command: str) -> str | None:
    """The workflow a command names: a `workflow ...` command's argument, or a `--workflow` filter."""
    if command.startswith("workflow "):
        return next(iter(parsed.positionals), None)
    return parsed.last("workflow")


def _by_name(selector: str) -> bool:
    """gh looks a workflow up by name unless it is a number or a `.yml`/`.yaml` file name (shared.FindWorkflow);
    a name several workflows share makes gh ask which one is meant."""
    bare = selector[1:] if selector[:1] in "+-" else selector
    numeric = bool(bare) and all(char in _DIGITS for char in bare)
    return not numeric and not selector.lower().endswith((".yml", ".yaml"))


def _may_prompt(parsed: Parsed, command: str) -> bool:
    """gh may ask the user on a terminal: an argument it asks for is missing, or a workflow is named."""
    if command in PROMPTS_WITHOUT_ARGUMENTS and not parsed.positionals:
        return True
    selector = _workflow_selector(parsed, command)
    return selector is not None and _by_name(selector)


def prompts_disabled(env: Mapping[str, str]) -> bool:
    """gh never prompts with GH_PROMPT_DISABLED set (to anything, even empty) or `prompt: disabled` in its
    config.yml. Read only for a command that may prompt, on a terminal."""
    if "GH_PROMPT_DISABLED" in env:
        return True
    from .keys import gh_config_dir, gh_settings  # loaded already on the way to a key

    return "disabled" in gh_settings(gh_config_dir(env), "prompt")


def decide(
    argv: Sequence[str], *, stdin_tty: bool = False, stdout_tty: bool = False, env: Mapping[str, str] | None = None
) -> Decision:
    """Classify one gh argv (without the leading "gh"); `env` (os.environ by default) says whether gh may
    prompt on a terminal."""
    if not argv:
        return _pass("no command")
    parsed = parse(argv)
    command = parsed.command
    if parsed.help:
        return _pass("help", command)
    if command == "api":
        from .api_policy import decide_api

        return decide_api(parsed)
    if parsed.error:
        return _unsure(f"cannot be sure what gh does ({parsed.error})", command or argv[0])
    if command == "" or command not in READS:
        return _not_a_read(parsed, command, argv)
    for name in _INTERACTIVE:
        if parsed.true(name) is not False:
            return _pass("interactive, browser or watch flag", command)
    if jq_reads_environment(parsed.values("jq")):
        return _pass("a --jq filter that reads the environment is never cached", command)
    if stdin_tty and stdout_tty and _may_prompt(parsed, command):
        if not prompts_disabled(fastos.environ() if env is None else env):
            return _pass("gh may ask on this terminal", command)
    return _read(parsed, command)


def _is_group(command: str) -> bool:
    """A command with subcommands: run on its own, gh prints its help (`codespace ports` only lists)."""
    prefix = command + " "
    return any(path.startswith(prefix) for path in FLAGS)


def _not_a_read(parsed: Parsed, command: str, argv: Sequence[str]) -> Decision:
    if command == "" and parsed.positionals:
        return _unsure("not a gh command (an alias or an extension, which may do anything)", argv[0])
    if command in _LOCAL_OR_READ_ONLY or command.rpartition(" ")[2] in _READ_ONLY_VERBS or _is_group(command):
        return _pass("not cached, changes nothing on GitHub", command)
    named = _named_repos(parsed)
    if command.startswith("repo ") and any(repo_of(arg) is None for arg in parsed.positionals):
        named = (*named, ANY_REPO)  # `repo delete NAME` acts on the viewer's NAME: which owner is not known
    from_context = not parsed.given("repo")  # without -R gh acts on GH_REPO or the checkout's repo
    return write("changes GitHub state", command, named, from_context=from_context)


# --json fields whose values depend on who asks: `viewer…` ones, and comments (each has viewerDidAuthor).
_VIEWER_FIELDS = frozenset({"comments", "reviews", "latestreviews"})


def _names_its_viewer(parsed: Parsed) -> bool:
    """The answer says something about who asks (viewerPermission, viewerDidAuthor in comments)."""
    if parsed.given("comments"):
        return True
    for value in parsed.values("json"):
        for field in value.lower().split(","):
            field = field.strip()
            if field.startswith("viewer") or field in _VIEWER_FIELDS:
                return True
    return False


def _read(parsed: Parsed, command: str) -> Decision:
    repo = parsed.last("repo")
    host_wide = command.startswith("search ")
    if command == "repo view" or command == "repo list":
        repo = next(iter(parsed.positionals), None)
        host_wide = command == "repo list"
    elif parsed.positionals and not host_wide and "://" in parsed.positionals[0]:
        repo = repo_of(parsed.positionals[0]) or repo  # `issue view https://HOST/O/R/issues/3`
    if host_wide:
        repo = None
    # A list's --search runs a search whose qualifiers (repo:, org:, user:) reach other repos.
    host_wide = host_wide or parsed.given("search")
    personal = (
        command in _PERSONAL
        or _names_its_viewer(parsed)
        or (command == "repo list" and not parsed.positionals)
        or any("@me" in value for _, value in parsed.flags)
        or any("@me" in arg for arg in parsed.positionals)
    )
    decision = Decision("read", "read-only command", command, READS[command], repo)
    decision.host_wide = host_wide
    decision.personal = personal
    decision.honours_gh_repo = command.split()[0] in REPO_OVERRIDE_GROUPS
    return decision


__all__ = ["ALL_CLASSES", "READS", "Decision", "decide"]
