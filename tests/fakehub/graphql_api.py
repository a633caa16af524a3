"""The /graphql endpoint: parse, pick the root (query or mutation), execute, answer GitHub-style."""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLError, parse

from . import descriptions
from .calls import ApiError, Call, Reply
from .gql_exec import Connection, Executor, GqlError, Obj
from .gql_mutations import MutationRoot
from .gql_objects import CommentObj, IssueObj, LabelObj, ReleaseObj, RepoObj, actor
from .gql_validate import Rejected, prepare
from .models import Comment, Issue, Label, Release, User
from .store import NotFound


def operation_name(body: bytes) -> str | None:
    """The operation a GraphQL request runs, for the request log (named op, else the parsed one's name)."""
    try:
        payload = json.loads(body)
        if payload.get("operationName"):
            return str(payload["operationName"])
        for definition in parse(payload["query"]).definitions:
            name = getattr(definition, "name", None)
            if hasattr(definition, "operation"):
                return name.value if name else None
    except (ValueError, KeyError, TypeError, AttributeError, GraphQLError):
        return None
    return None


def operation_type(body: bytes) -> str | None:
    """The type of the operation a GraphQL request would run ("query", "mutation", "subscription"), for
    the request log; None when the request would run nothing (not JSON, no document, a syntax error,
    no operation matching `operationName`)."""
    try:
        payload = json.loads(body)
        wanted = payload.get("operationName")
        operations = [d for d in parse(payload["query"]).definitions if hasattr(d, "operation")]
    except (ValueError, KeyError, TypeError, AttributeError, GraphQLError):
        return None
    for definition in operations:
        if not wanted and len(operations) == 1 or (definition.name and definition.name.value == wanted):
            return str(definition.operation.value)
    return None


def execute(call: Call) -> Reply:
    """Validate the document against github.com's schema as GitHub does, then run it over the store."""
    payload = call.json()
    schema = descriptions.graphql_schema()
    variables = payload.get("variables") or {}
    if not isinstance(variables, dict):
        return Reply(200, {"errors": [{"message": "Variables are invalid JSON."}]})
    try:
        document, operation, coerced = prepare(
            schema, str(payload.get("query") or ""), payload.get("operationName"), variables
        )
    except Rejected as exc:
        return Reply(200, {"errors": exc.errors})
    if operation.operation.value == "mutation":
        if call.viewer is None:
            raise ApiError(401, "This endpoint requires you to be authenticated.")
        root: Obj = MutationRoot(call)
    else:
        root = QueryRoot(call)
    executor = Executor(schema, document, operation, coerced, variables)
    data = executor.run(root)
    return Reply(200, {"data": data, "errors": executor.errors} if executor.errors else {"data": data})


class QueryRoot(Obj):
    typename = "Query"

    def __init__(self, call: Call) -> None:
        super().__init__()
        self.call = call

    def f_viewer(self) -> Obj | None:
        if self.call.viewer is None:
            raise GqlError("This endpoint requires you to be authenticated.", "FORBIDDEN")
        return actor(self.call, self.call.viewer)

    def f_repository(self, owner: str, name: str, **_: Any) -> RepoObj:
        try:
            return RepoObj(self.call, self.call.store.get_repo(f"{owner}/{name}", self.call.viewer, check=True))
        except NotFound:
            raise GqlError(f"Could not resolve to a Repository with the name '{owner}/{name}'.", "NOT_FOUND") from None

    def f_user(self, login: str) -> Obj | None:
        found = self.call.store.users.get(login.lower())
        if found is None:
            raise GqlError(f"Could not resolve to a User with the login of '{login}'.", "NOT_FOUND")
        return actor(self.call, found.login)

    def f_repositoryOwner(self, login: str) -> Obj | None:
        found = self.call.store.users.get(login.lower())
        return actor(self.call, found.login) if found else None

    def f_organization(self, login: str) -> Obj:
        raise GqlError(f"Could not resolve to an Organization with the login of '{login}'.", "NOT_FOUND")

    def f_node(self, id: str) -> Obj | None:
        return node(self.call, id)

    def f_nodes(self, ids: list[str]) -> list[Obj | None]:
        return [node(self.call, ident) for ident in ids]

    def f_search(self, query: str, type: str = "ISSUE", **args: Any) -> Connection:
        hits = self.call.store.search_issues(query, self.call.viewer) if type == "ISSUE" else []
        objs = [IssueObj(self.call, self.call.store.get_repo(i.repo), i) for i in hits]
        return Connection(
            objs,
            args,
            "SearchResultItemConnection",
            issueCount=len(hits),
            repositoryCount=0,
            userCount=0,
            discussionCount=0,
            codeCount=0,
            wikiCount=0,
        )

    def f_rateLimit(self, **_: Any) -> dict[str, Any]:
        return {
            "__typename": "RateLimit",
            "limit": 5000,
            "remaining": 4999,
            "used": 1,
            "cost": 1,
            "resetAt": "2099-01-01T00:00:00Z",
            "nodeCount": 0,
        }


def node(call: Call, ident: str) -> Obj | None:
    """`node(id:)`: any record with a global id, if the viewer may see its repository."""
    try:
        repo, record = call.store.by_node_id(ident)
    except NotFound:
        return None
    if repo is not None and not call.store.can_see(repo, call.viewer):
        return None
    if isinstance(record, User):
        return actor(call, record.login)
    assert repo is not None
    if isinstance(record, Issue):
        return IssueObj(call, repo, record)
    if isinstance(record, Label):
        return LabelObj(call, repo, record)
    if isinstance(record, Comment):
        return CommentObj(call, repo, record)
    if isinstance(record, Release):
        return ReleaseObj(call, repo, record, False)
    return RepoObj(call, repo)
