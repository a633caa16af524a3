"""`gh api`: the method gh will send, what the body carries, and which repo the endpoint names.

gh sends GET unless `-X` says otherwise or a field or `--input` is given (then POST); `graphql` is
always a POST whose document decides. A read is cacheable only when every part of the request is
known: files named by `-F key=@file` and `--input file` are read here when they are local regular
files (their bytes become part of the key); stdin (`@-`, `--input -`), a FIFO, a device, a custom
header that could change the method or identity, an endpoint given as a full URL, or a document
the GraphQL lexer cannot read make the request a write to every repo of the host. So does a write
whose endpoint is not a plainly spelt `repos/O/R/...` path (`repositories/ID/...` acts on a repo
too). A `--jq` filter that reads the environment passes through uncached.
"""

from __future__ import annotations

from . import fastos
from .decision import ANY_REPO, Decision, jq_reads_environment, write

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from .argv import Parsed

MAX_FILE = 1 << 20  # a larger body is not something we cache on
_SAFE_HEADERS = ("accept", "x-github-api-version")
_PLACEHOLDERS = ("{owner}", "{repo}", "{branch}")
_REPO_CLASSES = {
    "actions": "workflows",
    "issues": "issues",
    "pulls": "issues",
    **dict.fromkeys(
        ("releases", "labels", "tags", "branches", "topics", "languages", "contributors", "license", "readme"),
        "repository",
    ),
}
_PERSONAL_ROOTS = ("user", "notifications", "installation", "graphql")


def _lists_repositories(path: str) -> bool:
    """Repository objects carry the viewer's `permissions` (admin, push, pull...): `repos/O/R` itself,
    the lists of an owner's repos or of a repo's forks, and repository search."""
    parts = path.lower().split("/")
    return (len(parts) == 3 and parts[0] == "repos") or parts[-1] in ("repos", "forks") or path == "search/repositories"


class Unsure(Exception):
    """Something about this request cannot be known without running it."""


def read_local_file(path: str) -> bytes:
    """A regular file's bytes (gh reads it the same way); Unsure for stdin, FIFOs, devices, big files."""
    if path == "-" or not path:
        raise Unsure("reads standard input")
    try:
        fd = fastos.open(path, fastos.O_RDONLY | fastos.O_NONBLOCK)
    except OSError:
        raise Unsure(f"cannot read {path}") from None
    try:
        info = fastos.fstat(fd)
        if not fastos.S_ISREG(info.st_mode) or info.st_size > MAX_FILE:
            raise Unsure(f"{path} is not a small regular file")
        chunks = []
        while True:
            chunk = fastos.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        fastos.close(fd)


class Request:
    """The request gh will send, as far as the argv and local files tell."""

    __slots__ = ("endpoint", "method", "fields", "body", "inputs")

    def __init__(self, parsed: Parsed) -> None:
        if len(parsed.positionals) != 1:
            raise Unsure("not a single endpoint")
        self.endpoint = parsed.positionals[0]
        self.inputs: list[bytes] = []
        self.fields: list[tuple[str, str | bytes]] = []  # (key, value) in gh's order: raw, then typed
        for field in parsed.values("raw-field"):
            key, equals, value = field.partition("=")
            if not equals:
                raise Unsure("a field without a value")
            self.fields.append((key, value))
        for field in parsed.values("field"):
            key, equals, value = field.partition("=")
            if not equals:
                raise Unsure("a field without a value")
            if value.startswith("@"):
                data = read_local_file(value[1:])
                self.inputs.append(data)
                self.fields.append((key, data))
            else:
                self.fields.append((key, value))
        input_file = parsed.last("input")
        self.body: bytes | None = None
        if input_file is not None:
            self.body = read_local_file(input_file)
            self.inputs.append(self.body)
        method = parsed.last("method")
        if method is None:
            method = "POST" if self.fields or input_file is not None else "GET"
        self.method = method


def _check_headers(parsed: Parsed) -> None:
    for header in parsed.values("header"):
        name = header.partition(":")[0].strip().lower()
        if name not in _SAFE_HEADERS:
            raise Unsure(f"a {name or 'malformed'} header")


def _documents(request: Request) -> list[str]:
    """Every GraphQL document the request carries: the `query` field(s) and an `--input` body's."""
    documents: list[str] = []
    for key, value in request.fields:
        if key == "query":
            if isinstance(value, bytes):
                documents.append(value.decode("utf-8", "surrogateescape"))
            elif any(placeholder in value for placeholder in _PLACEHOLDERS):
                raise Unsure("a placeholder in the document")  # gh fills it in from the repo
            else:
                documents.append(value)
        elif key.startswith("query"):  # `query[]=`, `query[x]=`: not a plain document
            raise Unsure("a structured query field")
    if request.body is not None:
        import json  # only for `--input` bodies

        try:
            payload = json.loads(request.body)
        except ValueError:
            raise Unsure("an --input body that is not JSON") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise Unsure("an --input body without a query")
        documents.append(payload["query"])
    if not documents:
        raise Unsure("no GraphQL document")
    return documents


def _graphql(request: Request) -> Decision:
    from .graphql import operation_kinds

    for document in _documents(request):
        kinds = operation_kinds(document)
        if kinds is None:
            raise Unsure("a GraphQL document that cannot be read with certainty")
        if kinds != {"query"}:
            return write("GraphQL mutation or subscription", "api", (ANY_REPO,))
    if request.method not in ("GET", "POST"):
        raise Unsure(f"GraphQL over {request.method}")
    decision = Decision("read", "GraphQL query", "api", "api")
    decision.host_wide = True
    decision.personal = True  # a query may ask for the viewer
    return decision


def _plain_path(path: str) -> bool:
    """A path GitHub routes as written: no escapes (`oct%6f`), dot segments or backslashes, which a server
    may decode or resolve into another repo's path than the one it spells."""
    route = path.split("?", 1)[0].split("#", 1)[0]
    return "%" not in route and "\\" not in route and not any(part in (".", "..") for part in route.split("/"))


def _path_class(path: str) -> tuple[str, str | None]:
    """Data class and repo ("O/R") of a REST path; no repo when the path is not spelt plainly."""
    if not _plain_path(path):
        return "api", None
    parts = [part for part in path.split("?", 1)[0].strip("/").split("/") if part]
    if len(parts) >= 3 and parts[0] == "repos":
        repo, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        if _names_commit(rest):
            return "immutable", repo
        if not rest:
            return "repository", repo
        return _REPO_CLASSES.get(rest[0], "api"), repo
    if parts[:2] == ["search", "issues"]:
        return "issues", None
    return "api", None


def _is_sha(text: str) -> bool:
    return len(text) == 40 and all(char in "0123456789abcdef" for char in text.lower())


def _names_commit(rest: list[str]) -> bool:
    """`commits/<sha>` or `git/{commits,trees,blobs,tags}/<sha>`: content addressed, never changes."""
    if len(rest) == 2 and rest[0] == "commits" and _is_sha(rest[1]):
        return True
    return len(rest) == 3 and rest[0] == "git" and rest[1] in ("commits", "trees", "blobs", "tags") and _is_sha(rest[2])


def _rest(request: Request) -> Decision:
    endpoint = request.endpoint
    if "://" in endpoint:
        raise Unsure("an endpoint given as a full URL")
    data_class, repo = _path_class(endpoint)
    if request.method not in ("GET", "HEAD"):
        # Only `repos/O/R/...` names its target: `repositories/ID/...`, `user/starred/O/R`, `orgs/...`
        # and odd spellings may act on any repo of the host, the checkout's included.
        return write(f"{request.method} request", "api", (repo,) if repo else (ANY_REPO,), from_context=repo is None)
    path = endpoint.strip("/").split("?")[0]
    if path == "rate_limit":
        return Decision("pass", "rate limit status is never cached", "api")
    decision = Decision("read", f"{request.method} request", "api", data_class, repo)
    # `{owner}/{repo}` placeholders are filled from the context: checked against every write of the host.
    decision.host_wide = (
        repo is None or "{" in endpoint or any(isinstance(value, str) and "{" in value for _, value in request.fields)
    )
    decision.personal = (
        path.split("/")[0] in _PERSONAL_ROOTS
        or _lists_repositories(path)
        or "@me" in endpoint
        or any(isinstance(value, str) and "@me" in value for _, value in request.fields)
    )
    return decision


def decide_api(parsed: Parsed) -> Decision:
    """Classify `gh api ...` (already parsed): read, write, or pass."""
    try:
        if parsed.error:
            raise Unsure(parsed.error)
        request = Request(parsed)
        _check_headers(parsed)
        if request.endpoint == "graphql":
            decision = _graphql(request)
        elif request.endpoint.strip("/").split("?")[0].lower().endswith("graphql"):
            raise Unsure("a GraphQL endpoint spelt as a REST path")
        else:
            decision = _rest(request)
    except Unsure as why:
        return write(f"cannot be sure what gh sends ({why})", "api", (ANY_REPO,))
    if decision.action == "read" and parsed.true("verbose") is not False:
        return Decision("pass", "verbose output is never cached", "api")
    if decision.action == "read" and jq_reads_environment(parsed.values("jq")):
        return Decision("pass", "a --jq filter that reads the environment is never cached", "api")
    decision.inputs = tuple(request.inputs)
    decision.hostname = parsed.last("hostname")
    return decision
