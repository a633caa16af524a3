"""The command policy: an allowlist of reads, checked against every command of the real gh."""

from __future__ import annotations

import subprocess

import pytest
from support import REAL_GH

from ghcache import policy
from ghcache.gh_commands import ALIASES, FLAGS, GH_VERSION

# Reviewed by hand: every command here only reads from GitHub. Anything else must never be cached.
READ_ONLY = {
    "issue list",
    "issue view",
    "issue status",
    "pr list",
    "pr view",
    "pr status",
    "pr checks",
    "pr diff",
    "repo view",
    "repo list",
    "release list",
    "release view",
    "label list",
    "run list",
    "run view",
    "workflow list",
    "workflow view",
    "search issues",
    "search prs",
    "search repos",
    "search commits",
    "search code",
}


def _reference_commands() -> set[str]:
    """Every command path in the real gh's `gh help reference`, without the user's aliases (`co`)."""
    text = subprocess.run([REAL_GH, "help", "reference"], capture_output=True, text=True, check=True).stdout
    lines = text.splitlines()
    return {
        line.lstrip("#").strip()[3:].split(" [")[0].split(" <")[0].split(" {")[0]
        for at, line in enumerate(lines)
        if line.startswith(("## gh ", "### gh ", "#### gh "))
        and not any(following.startswith("Alias for ") for following in lines[at + 1 : at + 3])
    }


def test_table_matches_the_pinned_gh() -> None:
    version = subprocess.run([REAL_GH, "--version"], capture_output=True, text=True, check=True).stdout.split()[2]
    assert version == GH_VERSION
    assert {command.split(" -")[0] for command in _reference_commands()} <= set(FLAGS)


@pytest.mark.parametrize("command", sorted(set(FLAGS) - {""}))
def test_no_write_is_classified_as_a_read(command: str) -> None:
    decision = policy.decide(command.split() + ["-R", "o/r"])
    if command == "api":
        return  # method-dependent: covered below
    assert decision.action != "read" or command in READ_ONLY, command
    if decision.action == "read":
        assert decision.data_class in ("issues", "repository", "workflows")


@pytest.mark.parametrize("alias,command", sorted(ALIASES.items()))
def test_aliases_classify_like_their_command(alias: str, command: str) -> None:
    assert policy.decide(alias.split()).action == policy.decide(command.split()).action


@pytest.mark.parametrize(
    "argv,action,data_class",
    [
        ("api repos/o/r", "read", "repository"),
        ("api repos/o/r/issues?state=all", "read", "issues"),
        ("api repos/o/r/pulls/3", "read", "issues"),
        ("api repos/o/r/actions/runs", "read", "workflows"),
        ("api repos/o/r/commits/" + "ab" * 20, "read", "immutable"),
        ("api repos/o/r/git/trees/" + "cd" * 20, "read", "immutable"),
        ("api repos/o/r/commits/main", "read", "api"),
        ("api user", "read", "api"),
        ("api --method HEAD repos/o/r", "read", "repository"),
        ("api -X GET search/issues -f q=repo:o/r", "read", "issues"),
        ("api graphql -f query={viewer{login}}", "read", "api"),
        ("api graphql -f query=query{viewer{login}}", "read", "api"),
        ("api graphql -f query=mutation{addStar(input:{}){clientMutationId}}", "write", None),
        ("api graphql -f query=subscription{x}", "write", None),
        ("api graphql -F query=@no-such-file.graphql", "write", None),
        ("api repos/o/r/issues -f title=x", "write", None),
        ("api repos/o/r/issues -F title=x", "write", None),
        ("api --raw-field=title=x repos/o/r/issues", "write", None),
        ("api -X PATCH repos/o/r/issues/1 -f state=closed", "write", None),
        ("api -X DELETE repos/o/r/labels/bug", "write", None),
        ("api --input no-such-body.json repos/o/r/issues", "write", None),
        ("api -X POST repos/o/r/issues --input -", "write", None),
        ("api -H Authorization:token\\ x user", "write", None),
        ("api --verbose repos/o/r", "pass", None),
        ("api rate_limit", "pass", None),
        ("api", "write", None),
    ],
)
def test_gh_api(argv: str, action: str, data_class: str | None) -> None:
    decision = policy.decide(argv.replace("\\ ", "\0").split())
    assert (decision.action, decision.data_class) == (action, data_class)


@pytest.mark.parametrize(
    "argv",
    [
        "issue list --web",
        "issue list -w",
        "pr view 3 --web",
        "pr checks 3 --watch",
        "run list --help",
        "issue list -h",
        "repo view --web o/r",
        "browse",
        "auth token",
        "auth status --show-token",
        "status",
        "secret list",
        "variable get X",
        "release download v1",
        "run download 1",
        "run watch 1",
        "gist view abc",
        "codespace list",
        "issue",
        "",
    ],
)
def test_interactive_and_unknown_pass_through(argv: str) -> None:
    assert policy.decide(argv.split()).action == "pass"


def test_run_list_w_is_a_workflow_filter_not_web() -> None:
    assert policy.decide("run list -w ci.yml".split()).action == "read"


def test_prompting_commands_pass_through_only_on_a_terminal() -> None:
    assert policy.decide(["run", "view"], stdin_tty=True, stdout_tty=True, env={}).action == "pass"
    assert policy.decide(["run", "view"], env={}).action == "read"
    assert policy.decide(["run", "view", "42"], stdin_tty=True, stdout_tty=True, env={}).action == "read"


@pytest.mark.parametrize(
    "argv,repo",
    [
        ("issue list -R o/r", "o/r"),
        ("issue list -Ro/r", "o/r"),
        ("issue list --repo=o/r", "o/r"),
        ("issue list --repo o/r -R x/y", "x/y"),
        ("repo view o/r", "o/r"),
        ("api repos/O/R/issues", "O/R"),
    ],
)
def test_repo_is_taken_from_argv(argv: str, repo: str) -> None:
    assert policy.decide(argv.split()).repo == repo


def test_unknown_commands_and_bad_flags_are_writes_to_every_repo() -> None:
    for argv in ("extension-we-do-not-know", "co 3", "issue list --no-such-flag", "pr view 3 -R", "ext exec x"):
        decision = policy.decide(argv.split())
        assert (decision.action, decision.targets) == ("write", ("*",)), argv


@pytest.mark.parametrize(
    "argv,targets,from_context",
    [
        ("issue create -t x", (), True),
        ("issue -R o/r close 2", ("o/r",), False),
        ("-R o/r pr merge 3", ("o/r",), False),
        ("issue transfer 3 o/dest", ("o/dest",), True),
        ("repo delete o/r --yes", ("o/r",), True),
        ("issue close https://github.com/o/r/issues/2", ("github.com/o/r",), True),
        ("api -X POST repos/o/r/labels -f name=x", ("o/r",), False),
        ("api -X POST user/repos -f name=x", ("*",), True),  # names no repo: any of the host's
        ("api graphql -f query=mutation{x}", ("*",), False),
    ],
)
def test_writes_name_their_targets(argv: str, targets: tuple[str, ...], from_context: bool) -> None:
    decision = policy.decide(argv.split())
    assert (decision.action, decision.targets, decision.from_context) == ("write", targets, from_context)
