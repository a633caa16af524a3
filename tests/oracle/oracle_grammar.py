"""gh invocations generated from gh's own grammar: every command path and flag of the generated table
(`ghcache.gh_commands`, probed from gh 2.102), in every spelling cobra and pflag accept, plus `gh api`
requests and GraphQL documents in the lexical forms the GraphQL spec allows.

Deterministic (a seeded RNG), so a disagreement is reproducible by its index. Reads aim at
`octo/hello`; commands that may change things aim at `octo/scratch`, so the seeded world the reads
see stays intact while the suite runs. For gh on a terminal (`generate_terminal`) the same grammar
runs in repository layouts (`LAYOUTS`) and mostly without `-R`, where gh is likeliest to ask.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from ghcache.argv import FlagSet
from ghcache.gh_commands import FLAGS
from ghcache.policy import READS

READ_REPO = "octo/hello"
WRITE_REPO = "octo/scratch"
SHA = "0" * 40  # replaced by a seeded commit in the rig


@dataclass
class Case:
    """One invocation and the files it expects in its working directory."""

    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    layout: str = "none"  # the working directory's repository layout (LAYOUTS)

    def __str__(self) -> str:
        return "gh " + " ".join(json.dumps(arg) if not arg or " " in arg or "\n" in arg else arg for arg in self.argv)


# -- values ------------------------------------------------------------------------------------------
_JSON_FIELDS = {
    "issue": "number,title",
    "pr": "number,title",
    "repo": "name",
    "release": "tagName",
    "label": "name",
    "run": "databaseId",
    "workflow": "name",
    "search issues": "number",
    "search prs": "number",
    "search repos": "fullName",
    "search commits": "sha",
    "search code": "path",
    "cache": "id",
}
_VALUES = {
    "limit": ["3", "1"],
    "state": ["open", "all", "closed"],
    "search": ["bug", "is:open"],
    "label": ["bug"],
    "author": ["octocat", "@me"],
    "assignee": ["@me", "octocat"],
    "mention": ["octocat"],
    "branch": ["main"],
    "base": ["main"],
    "head": ["feature"],
    "commit": [SHA],
    "workflow": ["CI", "ci.yml"],
    "status": ["failure", "success"],
    "event": ["push"],
    "user": ["octocat"],
    "owner": ["octo"],
    "jq": [".", ".[0]"],
    "template": ["{{.}}"],
    "title": ["oracle title"],
    "body": ["oracle body"],
    "comment": ["oracle comment"],
    "message": ["oracle message"],
    "body-file": ["body.txt", "-"],
    "notes-file": ["body.txt"],
    "color": ["ff0000"],
    "description": ["oracle description"],
    "job": ["1"],
    "attempt": ["1"],
    "ref": ["main"],
    "sort": ["created"],
    "order": ["asc"],
    "milestone": ["v1"],
    "reason": ["completed"],
    "created": [">2020-01-01"],
    "language": ["go"],
    "visibility": ["public"],
    "topic": ["hello"],
    "match": ["title"],
    "app": ["github-actions"],
    "cache": ["60s"],
    "hostname": ["HOST"],  # replaced by the hub's host in the rig
    "output": ["out.txt"],
    "dir": ["out"],
    "pattern": ["*.txt"],
}
_POSITIONALS = {
    "issue": ["2", "4", "https://HOST/octo/hello/issues/2"],
    "pr": ["1", "5", "https://HOST/octo/hello/pull/1"],
    "release": ["v1.0.0", "v2.0.0"],
    "run": ["RUN"],
    "workflow": ["CI", "ci.yml"],
    "label": ["bug"],
    "repo": [READ_REPO, "octo"],
    "search": ["bug", "hello", "repo:octo/hello"],
    "cache": ["1"],
}


def _value(rng: random.Random, command: str, name: str) -> str:
    if name == "repo":
        return READ_REPO if command in READS else WRITE_REPO
    if name == "json":
        group = command if command.startswith("search ") else command.split()[0]
        return _JSON_FIELDS.get(group, "id")
    return rng.choice(_VALUES.get(name, ["x"]))


def _positionals(rng: random.Random, command: str) -> list[str]:
    group = command.split()[0]
    pool = _POSITIONALS.get(group, ["x"])
    if command in ("repo list",):
        pool = ["octo", "octocat"]
    if command not in READS and group == "repo":
        pool = [WRITE_REPO]
    count = rng.choice((0, 1, 1, 1, 2)) if command not in READS or rng.random() < 0.3 else rng.choice((0, 1))
    return [rng.choice(pool) for _ in range(count)]


# -- spellings ---------------------------------------------------------------------------------------
def _spell(rng: random.Random, name: str, short: str, kind: str, value: str) -> list[str]:
    """One flag in one of the spellings pflag accepts."""
    if kind == "":
        forms = [[f"--{name}"], [f"--{name}=true"], [f"--{name}=false"], [f"--{name}=1"], [f"--{name}=0"]]
        if short:
            forms += [[f"-{short}"], [f"-{short}=true"], [f"-{short}=false"]]
        return rng.choice(forms)
    if kind == "?":
        return rng.choice([[f"--{name}"], [f"--{name}={value}"]] + ([[f"-{short}"]] if short else []))
    forms = [[f"--{name}", value], [f"--{name}={value}"]]
    if short:
        forms += [[f"-{short}", value], [f"-{short}{value}"], [f"-{short}={value}"]]
    return rng.choice(forms)


def _combined(rng: random.Random, flags: FlagSet, command: str) -> list[str]:
    """Several shorthands in one word: booleans first, optionally ending in a value flag (`-iX POST`)."""
    booleans = [flag for flag in flags.short.values() if flag.kind == "" and flag.name != "help"]
    valued = [flag for flag in flags.short.values() if flag.kind == "="]
    if not booleans:
        return []
    chosen = rng.sample(booleans, min(len(booleans), rng.randint(1, 3)))
    word = "-" + "".join(flag.short for flag in chosen)
    if valued and rng.random() < 0.6:
        flag = rng.choice(valued)
        value = _value(rng, command, flag.name)
        return rng.choice([[word + flag.short, value], [word + flag.short + value]])
    return [word]


def command_case(rng: random.Random, command: str, repo_rate: float = 0.85) -> Case:
    """A command with positionals and some of its flags, in random spellings and places; `-R` is given
    with probability `repo_rate` where the command has it (else gh takes the repo from the checkout)."""
    flags = FlagSet(FLAGS[command])
    candidates = [flag for flag in flags.long.values() if flag.name != "help" or rng.random() < 0.05]
    chosen = rng.sample(candidates, min(len(candidates), rng.choice((0, 1, 2, 2, 3, 4))))
    words: list[list[str]] = []
    if "repo" in flags.long and rng.random() < repo_rate:
        chosen = [flag for flag in chosen if flag.name != "repo"]
        repo_value = _value(rng, command, "repo")
        repeated = [["-R", "other/repo"]] if rng.random() < 0.1 else []
        words += repeated + [_spell(rng, "repo", "R", "=", repo_value)]
    for flag in chosen:
        words.append(_spell(rng, flag.name, flag.short, flag.kind, _value(rng, command, flag.name)))
    if rng.random() < 0.25:
        words.append(_combined(rng, flags, command))
    if rng.random() < 0.1 and chosen:  # a repeated flag: the last value wins
        flag = rng.choice(chosen)
        words.append(_spell(rng, flag.name, flag.short, flag.kind, _value(rng, command, flag.name)))
    rng.shuffle(words)
    path = command.split()
    positionals = _positionals(rng, command)
    tail = [word for group in words for word in group]
    if positionals and rng.random() < 0.15:
        tail += ["--", *positionals]
    else:
        at = rng.randint(0, len(tail))
        tail[at:at] = positionals
    # Flags before the subcommand: cobra finds the command past them (`gh issue -R o/r close 2`).
    if len(path) > 1 and tail and tail[0].startswith("-") and rng.random() < 0.3:
        cut = 2 if len(tail) > 1 and not tail[1].startswith("-") and "=" not in tail[0] else 1
        head, tail = tail[:cut], tail[cut:]
        argv = [path[0], *head, *path[1:], *tail] if rng.random() < 0.7 else [*head, *path, *tail]
    else:
        argv = [*path, *tail]
    return Case(argv, {"body.txt": b"oracle body from a file\n"})


# -- gh api ------------------------------------------------------------------------------------------
_ENDPOINTS = [
    "repos/octo/hello",
    "repos/octo/hello/issues",
    "repos/octo/hello/issues/2",
    "/repos/octo/hello/labels",
    "repos/octo/hello/releases",
    "repos/octo/hello/commits",
    "repos/{owner}/{repo}",
    "user",
    "users/octocat",
    "search/issues?q=repo:octo/hello",
    "rate_limit",
    "repos/octo/scratch/issues",
    "repos/octo/scratch/labels",
]
_METHODS = [None, None, None, "GET", "get", "POST", "post", "PATCH", "DELETE", "HEAD", "PUT", "Get"]
_FIELDS = ["title=oracle", "state=closed", "q=repo:octo/hello", "per_page=2", "name=oracle", "body=@body.txt"]

QUERIES = [
    "{ viewer { login } }",
    "query { viewer { login } }",
    "query Named { viewer { login } }",
    "# a comment\nquery { viewer { login } }",
    'query { repository(owner: "octo", name: "hello") { name } }',
    'query($owner: String!, $name: String = "hello") { repository(owner: $owner, name: $name) { name } }',
    'query { repository(owner: "octo", name: "hello") { issue(number: 2) { title } } }',
    "query { viewer { login @include(if: true) } }",
    "query { viewer { ...F } } fragment F on User { login }",
    "query { viewer { login } } # mutation { addStar }",
    'query { repository(owner: "octo", name: "mutation") { name } }',
    'query { viewer { login(format: """mutation { x }""") } }',
    "query A { viewer { login } } query B { viewer { name } }",
    "\ufeff{ viewer { login } }",
    "{ viewer { login } },,,",
]
MUTATIONS = [
    'mutation { addStar(input: {starrableId: "x"}) { clientMutationId } }',
    'mutation M { addComment(input: {subjectId: "x", body: "y"}) { clientMutationId } }',
    '# only a comment first\nmutation { addStar(input: {starrableId: "x"}) { clientMutationId } }',
    'query A { viewer { login } } mutation B { addStar(input: {starrableId: "x"}) { clientMutationId } }',
    'mutation B { addStar(input: {starrableId: "x"}) { clientMutationId } } query A { viewer { login } }',
    '"""a description"""\nmutation { addStar(input: {starrableId: "x"}) { clientMutationId } }',
    "subscription { x }",
    "mutation($id: ID!) { addStar(input: {starrableId: $id}) { clientMutationId } }",
]


def api_case(rng: random.Random) -> Case:
    endpoint = rng.choice(_ENDPOINTS)
    words: list[list[str]] = []
    method = rng.choice(_METHODS)
    if method:
        words.append(_spell(rng, "method", "X", "=", method))
    for _ in range(rng.choice((0, 0, 1, 2))):
        value = rng.choice(_FIELDS)
        words.append(rng.choice([["-f", value], ["-F", value], [f"--raw-field={value}"], ["--field", value]]))
    files = {"body.txt": b"oracle body from a file\n"}
    if rng.random() < 0.1:
        files["input.json"] = b'{"title": "oracle from --input"}'
        words.append(rng.choice([["--input", "input.json"], ["--input=input.json"]]))
    extras = [
        ["-i"],
        ["--paginate"],
        ["--silent"],
        ["--jq", "."],
        ["-q", ".id"],
        ["-H", "Accept: application/vnd.github+json"],
        ["-H", "X-HTTP-Method-Override: DELETE"],
        ["--verbose"],
        ["--cache", "60s"],
        ["-p", "mercy"],
    ]
    for _ in range(rng.choice((0, 0, 1, 2))):
        words.append(rng.choice(extras))
    if rng.random() < 0.2:
        shorts = rng.choice(["-i", "-iX", "-iXPOST", "-iXGET", "-Xget"])
        words.append([shorts] if not shorts.endswith("X") else [shorts, rng.choice(["GET", "POST"])])
    rng.shuffle(words)
    tail = [word for group in words for word in group]
    at = rng.randint(0, len(tail))
    tail[at:at] = [endpoint]
    return Case(["api", *tail], files)


def graphql_case(rng: random.Random) -> Case:
    document = rng.choice(QUERIES + MUTATIONS)
    words: list[list[str]] = []
    files: dict[str, bytes] = {}
    form = rng.choice(["raw", "raw", "typed", "file", "input"])
    if form == "raw":
        words.append(rng.choice([["-f", f"query={document}"], [f"--raw-field=query={document}"]]))
    elif form == "typed":
        words.append(["-F", f"query={document}"])
    elif form == "file":
        files["q.graphql"] = document.encode()
        words.append(rng.choice([["-F", "query=@q.graphql"], ["--field", "query=@q.graphql"]]))
    else:
        files["q.json"] = json.dumps({"query": document, "variables": {"owner": "octo", "id": "x"}}).encode()
        words.append(["--input", "q.json"])
    if "$owner" in document or "$id" in document:
        words.append(["-f", "owner=octo"] if "$owner" in document else ["-f", "id=x"])
    if document.startswith("query A") or document.startswith("mutation B"):
        words.append(["-f", f"operationName={rng.choice(['A', 'B'])}"])
    if rng.random() < 0.15:
        words.append(rng.choice([["-X", "POST"], ["-XGET"], ["--paginate"], ["--jq", "."]]))
    rng.shuffle(words)
    tail = [word for group in words for word in group]
    at = rng.randint(0, len(tail))
    tail[at:at] = ["graphql"]
    return Case(["api", *tail], files)


def runnable_commands() -> list[str]:
    """Command paths that run something: not gh itself, not groups, not argument-forwarding commands."""
    groups = {path.rsplit(" ", 1)[0] for path in FLAGS if " " in path}
    return sorted(path for path in FLAGS if path and path not in groups and FLAGS[path] != "!")


# Working directories gh meets on a terminal: none, one remote, a fork's two remotes with and without
# `gh repo set-default`, a branch with no pull request and the branch of an open one (oracle_rig builds them).
LAYOUTS = ("none", "origin", "fork", "fork-resolved", "topic-branch", "pr-branch")


def generate_terminal(count: int, seed: int = 2103) -> list[Case]:
    """`count` invocations for gh on a terminal: mostly read commands, mostly without `-R`, each in a
    layout; one in five from all of gh's commands, so the prompts gh makes elsewhere are seen too."""
    rng = random.Random(seed)
    commands = runnable_commands()
    reads = sorted(READS)
    cases = []
    for index in range(count):
        command = rng.choice(commands if index % 5 == 4 else reads)
        case = command_case(rng, command, repo_rate=0.25)
        case.layout = rng.choice(LAYOUTS)
        cases.append(case)
    return cases


def generate(count: int, seed: int = 2102) -> list[Case]:
    """`count` invocations: reads and `gh api` weighted up, since that is where the policy says "read"."""
    rng = random.Random(seed)
    commands = runnable_commands()
    reads = sorted(READS)
    cases = []
    for index in range(count):
        choice = index % 10
        if choice < 3:
            cases.append(command_case(rng, rng.choice(reads)))
        elif choice < 5:
            cases.append(api_case(rng))
        elif choice < 7:
            cases.append(graphql_case(rng))
        else:
            cases.append(command_case(rng, rng.choice(commands)))
    return cases
