"""argv as cobra and pflag read it, and GraphQL documents as the spec lexes them (unit edge cases;
the differential oracle in tests/oracle checks both against the real gh)."""

from __future__ import annotations

import pytest

from ghcache.argv import parse
from ghcache.graphql import operation_kinds


@pytest.mark.parametrize(
    "argv,command,flags,positionals",
    [
        ("issue -R o/r close 2", "issue close", [("repo", "o/r")], ["2"]),
        ("-R o/r issue list", "issue list", [("repo", "o/r")], []),
        ("api -iXPOST repos/o/r", "api", [("include", "true"), ("method", "POST")], ["repos/o/r"]),
        ("api -iX POST repos/o/r", "api", [("include", "true"), ("method", "POST")], ["repos/o/r"]),
        ("api -X=POST x", "api", [("method", "POST")], ["x"]),
        ("api --method=post x", "api", [("method", "post")], ["x"]),
        ("api x --method -f", "api", [("method", "-f")], ["x"]),  # a value flag takes the next word, whatever it is
        ("issue list -wL5", "issue list", [("web", "true"), ("limit", "5")], []),
        ("run list -w ci.yml", "run list", [("workflow", "ci.yml")], []),  # -w is not --web everywhere
        ("api -- -X", "api", [], ["-X"]),
        ("issue ls --web=false", "issue list", [("web", "false")], []),
        ("browse -c", "browse", [("commit", "")], []),  # optional value (NoOptDefVal)
        ("browse -c=abc", "browse", [("commit", "abc")], []),
        ("issue list -R a/b --repo=c/d", "issue list", [("repo", "a/b"), ("repo", "c/d")], []),
    ],
)
def test_parse_like_pflag(argv: str, command: str, flags: list[tuple[str, str]], positionals: list[str]) -> None:
    parsed = parse(argv.split())
    assert (parsed.command, parsed.flags, parsed.positionals, parsed.error) == (command, flags, positionals, "")


@pytest.mark.parametrize(
    "argv",
    ["issue list --bogus", "pr view 3 -R", "issue list -Z", "issue list --web=banana", "api --=x u", "ext exec x -y"],
)
def test_what_gh_would_reject_is_an_error(argv: str) -> None:
    assert parse(argv.split()).error


@pytest.mark.parametrize("argv", ["issue list -h", "issue list --help", "issue list -wh", "api --help=true x"])
def test_help_in_every_spelling(argv: str) -> None:
    assert parse(argv.split()).help


def test_help_false_is_not_help() -> None:
    assert not parse("issue list --help=false".split()).help


@pytest.mark.parametrize(
    "document,kinds",
    [
        ("{viewer{login}}", {"query"}),
        ("query Q { a }", {"query"}),
        ("# c\nmutation { x }", {"mutation"}),
        ("query A { a } mutation B { b }", {"query", "mutation"}),
        ('query Q($a: In = {x: 1}, $b: [Int!]! = [1]) @d(if: true) { a(s: "mutation {x}") }', {"query"}),
        ('query { a(s: """ \\""" mutation """) }', {"query"}),
        ("fragment F on T { a } query { ...F }", {"query"}),
        ("query { a } # mutation { x }", {"query"}),
        ("\ufeff{ a },,", {"query"}),
        ("{ mutation }", {"query"}),  # a field called mutation
        ("subscription { s }", {"subscription"}),
        ('"""description"""\nmutation { x }', None),
        ("fragment F on T { a }", None),
        ("type Q { a: Int }", None),
        ("query { a", None),
        ('{ a(s: "unterminated) }', None),
        ("query { a } }", None),
        ("", None),
        ("query { a } ~", None),
    ],
)
def test_graphql_operation_kinds(document: str, kinds: set[str] | None) -> None:
    assert operation_kinds(document) == kinds


def test_graphql_lexer_is_linear() -> None:
    import time

    document = "query { " + 'a(s: "x") ' * 200_000 + "}"
    started = time.process_time()
    assert operation_kinds(document) == {"query"}
    assert time.process_time() - started < 10
