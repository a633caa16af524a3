"""What the policy decided about one gh invocation, and the repo names it is made of.

Its own module so that the command policy and the `gh api` policy share it without importing each
other, and the key and invalidation steps read it without importing either.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Iterable

ANY_REPO = "*"  # a write whose target is not certain: every repo of the host
ALL_CLASSES = ("repository", "workflows", "issues", "api")  # what a write may have changed


class Decision:
    """What to do with one gh invocation.

    `repo` is the repo a read names itself (`-R`, a URL, `gh api repos/O/R/...`); `targets` are the
    repos a write names (ANY_REPO when unsure), and `from_context` says whether the write also acts on
    the repo gh takes from GH_REPO or the checkout. A `host_wide` read may depend on any repo (search,
    GraphQL); a `personal` one on who asks. `inputs` are the bytes of local files the request carries.
    """

    __slots__ = (
        "action",
        "reason",
        "command",
        "data_class",
        "repo",
        "invalidates",
        "targets",
        "from_context",
        "host_wide",
        "personal",
        "inputs",
        "hostname",
        "honours_gh_repo",
    )

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
        self.repo = repo
        self.invalidates = invalidates
        self.targets: tuple[str, ...] = ()
        self.from_context = False
        self.host_wide = False
        self.personal = False
        self.inputs: tuple[bytes, ...] = ()
        self.hostname: str | None = None  # `gh api --hostname`: the host the request goes to
        self.honours_gh_repo = False  # GH_REPO overrides the checkout's repo (commands with gh's -R only)

    def __repr__(self) -> str:
        return f"Decision({self.action!r}, {self.reason!r}, class={self.data_class!r}, repo={self.repo!r})"


def write(reason: str, command: str, targets: tuple[str, ...], *, from_context: bool = False) -> Decision:
    """A write: every read of `targets` (and of the context repo, with `from_context`) becomes stale."""
    decision = Decision("write", reason, command, invalidates=ALL_CLASSES)
    decision.targets = targets if targets or from_context else (ANY_REPO,)
    decision.from_context = from_context
    return decision


def jq_reads_environment(filters: Iterable[str]) -> bool:
    """gh runs `--jq` with the process environment (gojq's `env` and `$ENV`): its output depends on
    variables no key holds, and may be a token (`env.GH_TOKEN`), which must never reach the disk.
    Any `env` in the filter counts, in a string or a field name too: a miss is cheap, a token on disk not."""
    return any("env" in expression.lower() for expression in filters)


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _is_name(text: str) -> bool:
    return bool(text) and text not in (".", "..") and all(char in _NAME_CHARS for char in text)


def repo_of(arg: str) -> str | None:
    """The repo an argument names: `OWNER/REPO`, `HOST/OWNER/REPO` or a URL into one; else None."""
    if arg.startswith(("https://", "http://")):
        parts = arg.split("://", 1)[1].split("?", 1)[0].split("#", 1)[0].split("/")
        host = parts[0].rpartition("@")[2].partition(":")[0]  # gh drops the port, as url.Hostname() does
        if len(parts) >= 3 and host and _is_name(parts[1]) and _is_name(parts[2].removesuffix(".git")):
            return f"{host}/{parts[1]}/{parts[2].removesuffix('.git')}"
        return None
    parts = arg.split("/")
    if len(parts) in (2, 3) and all(_is_name(part) for part in parts):
        return arg
    return None
