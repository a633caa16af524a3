"""GraphQL as GitHub executes it: invalid documents refused with located errors in GitHub's shapes,
connection page limits, and introspection answered from the real schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from fakehub import FakeHub, descriptions
from graphql import GraphQLObjectType, get_introspection_query


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="plain") as running:
        yield running


def ask(hub: FakeHub, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = urllib3.PoolManager().request(
        "POST",
        hub.graphql_url,
        body=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Authorization": f"token {hub.default_token}", "Content-Type": "application/json"},
    )
    assert answer.status == 200
    return dict(json.loads(answer.data))


REPO = 'repository(owner: "octo", name: "hello")'


@pytest.mark.parametrize(
    ("query", "message", "code"),
    [
        (f"{{ {REPO} {{ nope }} }}", "Field 'nope' doesn't exist on type 'Repository'", "undefinedField"),
        (
            '{ repository(owner: "octo") { name } }',
            "Field 'repository' is missing required arguments: name",
            "missingRequiredArguments",
        ),
        (f"{{ {REPO} {{ name(x: 1) }} }}", "Field 'name' doesn't accept argument 'x'", "argumentNotAccepted"),
        (
            f"{{ {REPO} {{ issues(first: 1, states: [SHUT]) {{ totalCount }} }} }}",
            "Argument 'states' on Field 'issues' has an invalid value ([SHUT]). Expected type '[IssueState!]'.",
            "argumentLiteralsIncompatible",
        ),
        (f"{{ {REPO} {{ owner }} }}", "Field must have selections", "selectionMismatch"),
    ],
)
def test_invalid_documents_are_refused_with_locations(hub: FakeHub, query: str, message: str, code: str) -> None:
    answer = ask(hub, query)
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["message"].startswith(message) and error["extensions"]["code"] == code
    assert error["locations"] and all(set(loc) == {"line", "column"} for loc in error["locations"])
    assert error["path"][0] == "query"


def test_parse_errors_are_located(hub: FakeHub) -> None:
    [error] = ask(hub, "{ viewer { login }")["errors"]
    assert error["message"].startswith("Parse error on") and error["locations"] == [{"line": 1, "column": 19}]


@pytest.mark.parametrize(
    ("arguments", "kind"),
    [
        ("", "MISSING_PAGINATION_BOUNDARIES"),
        ("first: 101", "EXCESSIVE_PAGINATION"),
        ("last: 1000", "EXCESSIVE_PAGINATION"),
    ],
)
def test_connection_page_limits(hub: FakeHub, arguments: str, kind: str) -> None:
    call = f"issues({arguments})" if arguments else "issues"
    answer = ask(hub, f"{{ {REPO} {{ {call} {{ nodes {{ title }} }} }} }}")
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["type"] == kind and error["path"] == ["repository", "issues"] and error["locations"]


def test_page_limits_allow_counts_and_bounds(hub: FakeHub) -> None:
    answer = ask(hub, f"{{ {REPO} {{ issues {{ totalCount }} some: issues(first: 100) {{ nodes {{ number }} }} }} }}")
    assert "errors" not in answer and answer["data"]["repository"]["issues"]["totalCount"] > 0


def test_variables_are_coerced_like_github(hub: FakeHub) -> None:
    query = f"query($s: [IssueState!]) {{ {REPO} {{ issues(first: 5, states: $s) {{ nodes {{ state }} }} }} }}"
    assert {n["state"] for n in ask(hub, query, {"s": ["CLOSED"]})["data"]["repository"]["issues"]["nodes"]} == {
        "CLOSED"
    }
    [error] = ask(hub, query, {"s": ["SHUT"]})["errors"]
    assert error["message"] == "Variable $s of type [IssueState!] was provided invalid value"
    assert error["extensions"]["value"] == ["SHUT"] and error["locations"]


def test_introspection_is_the_real_schema(hub: FakeHub) -> None:
    data = ask(hub, get_introspection_query())["data"]["__schema"]
    schema = descriptions.graphql_schema()
    assert {t["name"] for t in data["types"]} == set(schema.type_map)
    issue = ask(hub, '{ __type(name: "Issue") { fields { name } } }')["data"]["__type"]
    issue_type = schema.type_map["Issue"]
    assert isinstance(issue_type, GraphQLObjectType)
    fields = issue_type.fields.items()
    assert {f["name"] for f in issue["fields"]} == {name for name, f in fields if not f.deprecation_reason}
    assert ask(hub, '{ __type(name: "NoSuchType") { name } }')["data"]["__type"] is None
