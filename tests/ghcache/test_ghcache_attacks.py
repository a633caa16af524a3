"""Attacks on the shim's promises, each proven end to end: the real gh 2.102 against fakehub, through the shim.

Each test is a case the differential oracle's generator does not produce: a `--jq` filter that reads the
environment (a token on disk), a write and a read naming one repo on two hosts' terms (GH_HOST against
`-R HOST/O/R`, `www.` and subdomains), a REST write that names its repo by id, a repo named without
its owner, remote URLs gh parses differently from a naive reading (scheme case, ftp/file, `ssh+git`,
escapes, fragments), list commands whose `--search` reaches other repos, and answers that carry the
viewer (repository `permissions`, `viewerDidAuthor`), which must keep the identity in shared keys.
"""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from ghrig import GhRig, rig_env
from support import REAL_GH

from ghcache import gitctx, keys, policy
from ghcache.decision import ANY_REPO

PLAIN_HOST = "github.localhost"


@pytest.fixture
def plain(tmp_path: Path, zipapps: Path) -> Iterator[GhRig]:
    """A rig on the plain hub, whose host (`github.localhost`, no port) gh matches against git remotes."""
    with FakeHub(mode="plain") as hub:
        for name in ("octo/alpha", "octo/scratch"):
            hub.state.add_repo(name)
        home = tmp_path / "home"
        home.mkdir()
        yield GhRig(hub, home, rig_env(hub, home, tmp_path / "cache"))


def _ok(done: subprocess.CompletedProcess[bytes]) -> bytes:
    assert done.returncode == 0, done.stderr
    return done.stdout


def _fetched(rig: GhRig, *args: str, extra: dict[str, str] | None = None, cwd: Path | None = None) -> bytes:
    """Run a read through the shim and require that it reached the hub (no cached answer)."""
    rig.hub.clear_requests()
    runner = rig if cwd is None else GhRig(rig.hub, cwd, rig.env)
    out = _ok(runner.run(*args, extra=extra))
    assert rig.calls() >= 1, f"served from the cache: gh {' '.join(args)}"
    return out


def _checkout(path: Path, env: dict[str, str], remotes: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, env=env, check=True)
    for name, url in remotes.items():
        subprocess.run(["git", "remote", "add", name, url], cwd=path, env=env, check=True)
    return path


# -- 1. `--jq` runs with the environment: its output is not the API's alone, and may be a token ------------
JQ_READS = {
    "api --jq env": ("api", "user", "--jq", "env.ATTACK_VALUE"),
    "api -q $ENV": ("api", "user", "-q", "$ENV.ATTACK_VALUE"),
    "api --jq=... in a string": ("api", "user", '--jq=.login + "-" + env.ATTACK_VALUE'),
    "graphql --jq": ("api", "graphql", "-f", "query={ viewer { login } }", "--jq", "$ENV.ATTACK_VALUE"),
    "issue list --jq": ("issue", "list", "-R", "octo/hello", "--json", "number", "--jq", "env.ATTACK_VALUE"),
}


@pytest.mark.parametrize("argv", list(JQ_READS.values()), ids=list(JQ_READS))
def test_a_jq_filter_reading_the_environment_is_never_replayed(rig: GhRig, argv: tuple[str, ...]) -> None:
    assert _ok(rig.run(*argv, extra={"ATTACK_VALUE": "first"})).strip().endswith(b"first")
    assert _fetched(rig, *argv, extra={"ATTACK_VALUE": "second"}).strip().endswith(b"second")


def test_a_token_printed_by_jq_never_reaches_the_cache(rig: GhRig) -> None:
    token = rig.env["GH_ENTERPRISE_TOKEN"].encode()
    for argv in (
        ("api", "user", "--jq", "$ENV.GH_ENTERPRISE_TOKEN"),
        ("api", "user", "-q", "env | .GH_ENTERPRISE_TOKEN"),
    ):
        assert token in _ok(rig.run(*argv))
        assert token in _fetched(rig, *argv)
    stored = [path for path in rig.cache_dir.rglob("*") if path.is_file() and token in path.read_bytes()]
    assert not stored, stored


# -- 2. one repo, two hosts' spellings: tombstones live under the repo's own host ---------------------------
@pytest.mark.parametrize("named_in", ["read", "write"])
def test_gh_host_and_a_host_in_r_name_the_same_repo(rig: GhRig, named_in: str) -> None:
    """`GH_HOST=h gh issue close 2 -R o/r` changes what `gh issue view 2 -R h/o/r` (GH_HOST unset) shows."""
    host = rig.env["GH_HOST"]
    with_host = ("-R", f"{host}/octo/hello")
    read_repo, write_repo = (
        (with_host, ("-R", "octo/hello")) if named_in == "read" else (("-R", "octo/hello"), with_host)
    )
    read_env = {"GH_HOST": ""} if named_in == "read" else {}
    write_env = {} if named_in == "read" else {"GH_HOST": ""}
    view = ("issue", "view", "2", *read_repo, "--json", "state")
    assert b"OPEN" in _ok(rig.run(*view, extra=read_env))
    _ok(rig.run("issue", "close", "2", *write_repo, extra=write_env))
    assert b"CLOSED" in _fetched(rig, *view, extra=read_env)


SPELLINGS = {
    "URL with www.": ("https://www.github.localhost/octo/hello/issues/{n}",),
    "-R www.HOST/O/R": ("{n}", "-R", "www.github.localhost/octo/hello"),
    "-R mixed-case subdomain": ("{n}", "-R", "WWW.GitHub.Localhost/Octo/Hello"),
    "-R api.HOST/O/R": ("{n}", "-R", "api.github.localhost/octo/hello"),
}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("odd_side", ["read", "write"])
def test_www_and_subdomain_hosts_are_the_host_gh_talks_to(plain: GhRig, spelling: str, odd_side: str) -> None:
    """gh normalises `www.`/subdomains of its host (the issue's URL says `github.localhost`): so must the key."""
    number = "4" if odd_side == "read" else "7"
    odd = tuple(part.format(n=number) for part in SPELLINGS[spelling])
    usual = (number, "-R", "octo/hello")
    read_args, write_args = (odd, usual) if odd_side == "read" else (usual, odd)
    view = ("issue", "view", *read_args, "--json", "state,url")
    before = _ok(plain.run(*view))
    assert b"OPEN" in before and b"http://github.localhost/octo/hello/" in before
    _ok(plain.run("issue", "close", *write_args))
    assert b"CLOSED" in _fetched(plain, *view)


# -- 3. a REST write naming its repo by id (or not at all) acts on some repo: any of the host's ----------------
def test_a_rest_write_by_repository_id_invalidates_that_repo(plain: GhRig, tmp_path: Path) -> None:
    """`gh api -X PATCH repositories/ID/issues/N` inside a checkout of another repo."""
    elsewhere = _checkout(tmp_path / "scratch", plain.env, {"origin": f"https://{PLAIN_HOST}/octo/scratch.git"})
    hello_id = plain.hub.state.get_repo("octo/hello").id
    view = ("issue", "view", "2", "-R", "octo/hello", "--json", "state")
    assert b"OPEN" in _ok(plain.run(*view))
    patch = ("api", "-X", "PATCH", f"repositories/{hello_id}/issues/2", "-f", "state=closed", "--jq", ".state")
    assert _ok(GhRig(plain.hub, elsewhere, plain.env).run(*patch)).strip() == b"closed"
    assert b"CLOSED" in _fetched(plain, *view)


@pytest.mark.parametrize(
    "endpoint",
    [
        "repos/octo/scratch/../hello/issues/3",
        "repos/octo/./hello/issues/3",
        "repos/oct%6f/hello/issues/3",
        "repos/octo%2Fhello/issues/3",
        "repositories/1/issues/3",
        "user/starred/octo/hello",
    ],
)
def test_a_rest_write_whose_path_names_no_plain_repo_is_a_write_to_every_repo(endpoint: str) -> None:
    """fakehub routes these paths as sent (404), so the effect cannot be shown against it; a server that
    decodes escapes or resolves dot segments (most do) acts on octo/hello: fail safe, every repo."""
    decision = policy.decide(["api", "-X", "PATCH", endpoint, "-f", "state=closed"])
    assert decision.action == "write" and ANY_REPO in decision.targets, decision
    read = policy.decide(["api", endpoint])
    assert read.action != "read" or read.host_wide, read


# -- 4. a repo named without its owner is the viewer's: it depends on who asks ---------------------------------
def test_repo_view_of_a_bare_name_sees_writes_to_the_viewers_repo(plain: GhRig) -> None:
    plain.hub.state.add_repo("octocat/demo")
    view = ("repo", "view", "demo", "--json", "nameWithOwner,issues")
    assert b'"totalCount":0' in _ok(plain.run(*view))
    _ok(plain.run("issue", "create", "-R", "octocat/demo", "-t", "new", "-b", "body"))
    after = _fetched(plain, *view)
    assert b'"totalCount":1' in after and b"octocat/demo" in after


def test_a_bare_repo_name_keeps_its_identity_in_shared_keys(tmp_path: Path) -> None:
    """`gh repo view demo` is octocat's repo for octocat and hubot's for hubot, on every machine."""
    decision = policy.decide(["repo", "view", "demo"])
    shared = set()
    for token in ("token-of-octocat", "token-of-hubot"):
        env = {"GH_TOKEN": token, "GH_CONFIG_DIR": str(tmp_path), "HOME": str(tmp_path)}
        inputs = keys.build(
            decision, ["repo", "view", "demo"], env, str(tmp_path), keys.Terminal(False, False, None), "gh"
        )
        shared.add(inputs.shared_key("namespace"))
    assert len(shared) == 2


BARE_NAME_WRITES = {
    "repo delete": ("repo", "delete", "demo", "--yes"),
    "repo archive": ("repo", "archive", "demo", "--yes"),
}


@pytest.mark.parametrize("argv", list(BARE_NAME_WRITES.values()), ids=list(BARE_NAME_WRITES))
def test_gh_acts_on_the_viewers_repo_for_a_write_naming_no_owner(plain: GhRig, argv: tuple[str, ...]) -> None:
    """The truth for the test below: gh asks who the viewer is, then acts on the viewer's repo (fakehub
    emulates neither deleting nor archiving, so only what gh sent can be shown, not the changed state)."""
    plain.hub.state.add_repo("octocat/demo")
    plain.hub.clear_requests()
    plain.run(*argv)
    sent = [(entry["method"], entry["path"], entry["graphql_operation_type"]) for entry in plain.hub.requests()]
    assert ("DELETE", "/repos/octocat/demo", None) in sent or ("POST", "/graphql", "mutation") in sent, sent


@pytest.mark.parametrize("argv", list(BARE_NAME_WRITES.values()), ids=list(BARE_NAME_WRITES))
def test_a_write_naming_no_owner_invalidates_the_viewers_repo(argv: tuple[str, ...]) -> None:
    decision = policy.decide(list(argv))
    assert decision.action == "write" and ANY_REPO in decision.targets, decision.targets


@pytest.mark.parametrize(
    "endpoint", ["repos/octo/hello", "/repos/octo/hello/", "orgs/octo/repos", "repos/octo/hello/forks"]
)
def test_rest_repository_objects_keep_the_identity_in_shared_keys(rig: GhRig, endpoint: str) -> None:
    """GitHub puts the viewer's `permissions` in every repository object (fakehub answers them too)."""
    if endpoint.strip("/") == "repos/octo/hello":
        assert b"push" in _ok(rig.run("api", endpoint, "--jq", ".permissions | keys", shim=False))
    decision = policy.decide(["api", endpoint])
    assert decision.action == "read" and decision.personal, decision


# -- 5. remote URLs as gh's git.ParseURL and ghrepo.FromURL read them ------------------------------------------
H = PLAIN_HOST
REMOTE_FORMS = {
    "HTTPS:// in capitals (gh: not a URL)": {
        "upstream": f"HTTPS://{H}/octo/alpha.git",
        "origin": f"https://{H}/octo/hello.git",
    },
    "Git+SSH:// in capitals": {
        "upstream": f"Git+SSH://git@{H}/octo/alpha.git",
        "origin": f"https://{H}/octo/hello.git",
    },
    "ssh+git:// (gh: not a URL)": {
        "upstream": f"ssh+git://git@{H}/octo/alpha.git",
        "origin": f"https://{H}/octo/hello.git",
    },
    "ftp:// (gh: a URL)": {"upstream": f"ftp://{H}/octo/alpha.git", "origin": f"https://{H}/octo/hello.git"},
    "ftps:// (gh: a URL)": {"upstream": f"ftps://{H}/octo/alpha.git", "origin": f"https://{H}/octo/hello.git"},
    "file://HOST/ (gh: a URL)": {"upstream": f"file://{H}/octo/alpha.git", "origin": f"https://{H}/octo/hello.git"},
    "escaped path": {"origin": f"https://{H}/octo/%61lpha.git"},
    "escaped slash": {"origin": f"https://{H}/octo%2Falpha.git"},
    "malformed escape": {"upstream": f"https://{H}/octo/%zzalpha.git", "origin": f"https://{H}/octo/hello.git"},
    "fragment": {"origin": f"https://{H}/octo/alpha#readme"},
    "query string": {"origin": f"https://{H}/octo/alpha.git?ref=main"},
    "scp-like without a user": {"origin": f"{H}:octo/alpha.git"},
    "scp-like with a port-like path": {
        "upstream": f"git@{H}:22/octo/alpha.git",
        "origin": f"https://{H}/octo/hello.git",
    },
    "ssh with a port": {"origin": f"ssh://git@{H}:2222/octo/alpha.git"},
    "bad port": {"upstream": f"https://{H}:port/octo/alpha.git", "origin": f"https://{H}/octo/hello.git"},
    "no authority": {"upstream": f"https:{H}/octo/alpha.git", "origin": f"https://{H}/octo/hello.git"},
    "www host": {"origin": f"https://www.{H}/octo/alpha.git"},
    "double slash": {"origin": f"https://{H}//octo/alpha.git"},
}


@pytest.mark.parametrize("form", sorted(REMOTE_FORMS))
def test_remote_urls_are_read_as_gh_reads_them(plain: GhRig, tmp_path: Path, form: str) -> None:
    env = {**plain.env, "GIT_CONFIG_NOSYSTEM": "1"}
    cwd = _checkout(tmp_path / "work", env, REMOTE_FORMS[form])
    argv = ["repo", "view", "--json", "nameWithOwner"]
    done = subprocess.run([REAL_GH, *argv], cwd=cwd, env=env, capture_output=True, timeout=60)
    try:
        ours, _branch = keys.repo_context(policy.decide(argv), env, str(cwd))
    except gitctx.Ambiguous:
        return  # passed through uncached: allowed
    if done.returncode != 0:
        assert not ours or ours.startswith(f"{H}/"), ours  # nothing is stored for a failure
        return
    assert ours == f"{H}/{json.loads(done.stdout)['nameWithOwner']}".lower(), (form, done.stdout)


def test_a_checkout_is_never_served_another_checkouts_repo(plain: GhRig, tmp_path: Path) -> None:
    """Two checkouts on branch main: one of octo/hello, one whose `upstream` gh takes (an ftp:// URL) for
    octo/alpha. The second must not be answered with the first's repo."""
    env = {**plain.env, "GIT_CONFIG_NOSYSTEM": "1"}
    hello = _checkout(tmp_path / "hello", env, {"origin": f"https://{H}/octo/hello.git"})
    alpha = _checkout(
        tmp_path / "alpha", env, {"origin": f"https://{H}/octo/hello.git", "upstream": f"ftp://{H}/octo/alpha.git"}
    )
    argv = ("repo", "view", "--json", "nameWithOwner")
    assert b"octo/hello" in _ok(GhRig(plain.hub, hello, env).run(*argv))
    assert b"octo/alpha" in _ok(GhRig(plain.hub, alpha, env).run(*argv))
    assert b"octo/alpha" in _ok(subprocess.run([REAL_GH, *argv], cwd=alpha, env=env, capture_output=True, timeout=60))


def test_a_worktrees_own_config_names_the_repo_it_acts_on(plain: GhRig, tmp_path: Path) -> None:
    """With `extensions.worktreeConfig`, `git config --worktree` puts remotes in the worktree's
    `config.worktree`: gh sees them there (git remote -v does), and so must the key."""
    env = {**plain.env, "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str, cwd: Path) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, env=env, check=True)

    main = _checkout(tmp_path / "main", env, {"origin": f"https://{H}/octo/hello.git"})
    git("commit", "-q", "--allow-empty", "-m", "x", cwd=main)
    git("config", "extensions.worktreeConfig", "true", cwd=main)
    git("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "feature", cwd=main)
    git("config", "--worktree", "remote.upstream.url", f"https://{H}/octo/alpha.git", cwd=tmp_path / "wt")
    worktree = GhRig(plain.hub, tmp_path / "wt", env)
    listing = ("issue", "list", "--json", "title")
    assert b"made in alpha" not in _ok(worktree.run(*listing))
    _ok(plain.run("issue", "create", "-R", "octo/alpha", "-t", "made in alpha", "-b", "b"))
    assert b"made in alpha" in _fetched(plain, *listing, cwd=tmp_path / "wt")
    assert b"octo/hello" in _ok(GhRig(plain.hub, main, env).run("repo", "view", "--json", "nameWithOwner"))


# -- 6. list commands whose --search goes to the search API, which may return other repos' issues -----------
def test_a_list_with_a_search_sees_writes_to_the_repos_it_searches(rig: GhRig) -> None:
    rig.hub.state.add_repo("octo/scratch")
    listing = ("issue", "list", "-R", "octo/hello", "--search", "repo:octo/scratch", "--json", "title")
    assert b"from another repo" not in _ok(rig.run(*listing))
    _ok(rig.run("issue", "create", "-R", "octo/scratch", "-t", "from another repo", "-b", "b"))
    assert b"from another repo" in _fetched(rig, *listing)


# -- 7. the GraphQL lexer against a real parser: never a query where graphql-core sees a mutation ------------
_PIECES = [
    *("query", "mutation", "subscription", "fragment", "F", "on", "User", "{", "}", "(", ")", "[", "]", "$a", ":"),
    *("Int", "=", "1", "-1", "1.5e3", "0x", "00", "1e", ".5", "..", "...", "@d", "a", "!", "&", "|", "true"),
    *('"s"', '"""b"""', '"""\\""" x"""', '"\\""', '"\\\\"', '"#"', '"{"', '"}"', "\\", '"', '"""', '"\\u{1F600}"'),
    *("#c\n", "#c\r", "\r\n", "\n", " ", "\t", ",", "\ufeff", "\u2028", "\x0c", "extend", "schema", "type"),
    *("query Q", "{ a }", "mutation M { m }", '{ b(x: "}") }', "# mutation { x }\n", '"""\n mutation { x }"""'),
]


@pytest.mark.parametrize("seed", range(4))
def test_the_graphql_lexer_never_misses_an_operation_graphql_core_parses(seed: int) -> None:
    from graphql import GraphQLError, parse
    from graphql.language import OperationDefinitionNode

    from ghcache.graphql import operation_kinds

    rng = random.Random(seed)
    unsafe = []
    for _ in range(5000):
        document = "".join(rng.choice(_PIECES) + rng.choice(("", " ")) for _ in range(rng.randint(1, 14)))
        ours = operation_kinds(document)
        try:
            tree = parse(document)
        except GraphQLError:
            continue
        theirs = {node.operation.value for node in tree.definitions if isinstance(node, OperationDefinitionNode)}
        if ours is not None and theirs - ours:
            unsafe.append((document, ours, theirs))
    assert not unsafe, unsafe[:5]


# -- 8. answers that name their viewer must keep the identity in shared (peer) keys too ---------------------
VIEWER_READS = {
    "issue view --json comments (viewerDidAuthor)": ("issue", "view", "2", "-R", "octo/hello", "--json", "comments"),
    "pr view --json comments": ("pr", "view", "1", "-R", "octo/hello", "--json", "comments"),
    "repo view --json viewerPermission": ("repo", "view", "octo/hello", "--json", "viewerPermission"),
}


@pytest.mark.parametrize("argv", list(VIEWER_READS.values()), ids=list(VIEWER_READS))
def test_an_answer_naming_its_viewer_keeps_the_identity_in_shared_keys(rig: GhRig, argv: tuple[str, ...]) -> None:
    group, number = (argv[0], argv[2]) if argv[0] in ("issue", "pr") else ("issue", "2")
    _ok(rig.run(group, "comment", number, "-R", "octo/hello", "-b", "by octocat"))
    rig.hub.add_user("hubot2", "token-of-hubot2")
    as_hubot = {"GH_ENTERPRISE_TOKEN": "token-of-hubot2"}
    if argv[0] in ("issue", "pr"):  # the same comment, seen by its author and by someone else
        mine = _ok(rig.run(*argv, "--jq", "[.comments[].viewerDidAuthor]", shim=False))
        theirs = _ok(rig.run(*argv, "--jq", "[.comments[].viewerDidAuthor]", shim=False, extra=as_hubot))
        assert mine != theirs, (mine, theirs)
    decision = policy.decide(list(argv))
    shared = {
        keys.build(
            decision, list(argv), {**rig.env, **extra}, str(rig.home), keys.Terminal(False, False, None), REAL_GH
        ).shared_key("namespace")
        for extra in ({}, as_hubot)
    }
    assert len(shared) == 2
