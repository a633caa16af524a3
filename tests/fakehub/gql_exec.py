"""A schema-less GraphQL executor: walk the parsed selection set over Python objects.

Any object answers a field through `resolve(name, args)`; dicts answer by key. So adding a field that
gh starts asking for is one line, and fields nobody defined come back as null (and are reported on
stderr) rather than failing the whole query."""

from __future__ import annotations

import base64
import sys
from typing import Any

from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.utilities import value_from_ast_untyped

#: Concrete type names this fake produces; a fragment on any other name is taken to be an interface or union.
CONCRETE: set[str] = {
    "User",
    "Bot",
    "Organization",
    "Mannequin",
    "Repository",
    "Issue",
    "PullRequest",
    "Label",
    "IssueComment",
    "Release",
    "Commit",
    "Ref",
    "Team",
    "Milestone",
    "Query",
    "Mutation",
}


class GqlError(Exception):
    """A field-level error: the field becomes null and an entry lands in `errors`, as on GitHub."""

    def __init__(self, message: str, type: str = "UNPROCESSABLE") -> None:
        super().__init__(message)
        self.message, self.type = message, type


class Obj:
    """Base for GraphQL objects: field `x` comes from method `f_x(**args)`, else from `self.values["x"]`."""

    typename = "Object"
    implements: tuple[str, ...] = ()

    def __init__(self, **values: Any) -> None:
        self.values = values

    def resolve(self, name: str, args: dict[str, Any]) -> Any:
        method = getattr(self, f"f_{name}", None)
        if method is not None:
            return method(**args)
        if name in self.values:
            return self.values[name]
        print(f"fakehub: graphql field {self.typename}.{name} not emulated (null)", file=sys.stderr)
        return None


def cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def uncursor(value: str | None, default: int) -> int:
    try:
        return int(base64.b64decode(value or "").decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return default


class Connection(Obj):
    """A Relay connection over an in-memory list, honouring first/last/after/before."""

    def __init__(self, items: list[Any], args: dict[str, Any], typename: str = "Connection", **extra: Any) -> None:
        super().__init__(**extra)
        self.typename, self.items = typename, items
        start = uncursor(args.get("after"), -1) + 1
        end = min(len(items), uncursor(args.get("before"), len(items)))
        if args.get("first") is not None:
            end = min(end, start + int(args["first"]))
        if args.get("last") is not None:
            start = max(start, end - int(args["last"]))
        self.start, self.end = start, end

    def f_nodes(self) -> list[Any]:
        return self.items[self.start : self.end]

    def f_edges(self) -> list[dict[str, Any]]:
        return [
            {"__typename": "Edge", "node": item, "cursor": cursor(self.start + i)}
            for i, item in enumerate(self.f_nodes())
        ]

    def f_totalCount(self) -> int:
        return len(self.items)

    def f_pageInfo(self) -> dict[str, Any]:
        return {
            "__typename": "PageInfo",
            "hasNextPage": self.end < len(self.items),
            "hasPreviousPage": self.start > 0,
            "startCursor": cursor(self.start) if self.end > self.start else None,
            "endCursor": cursor(self.end - 1) if self.end > self.start else None,
        }


class Executor:
    """Runs one operation: variables, fragments, aliases, `__typename`, per-field errors."""

    def __init__(self, document: Any, operation_name: str | None, variables: dict[str, Any]) -> None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        named = [op for op in operations if op.name and op.name.value == operation_name]
        if not operations:
            raise GqlError("No operation found in the document")
        self.operation = named[0] if named else operations[0]
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables = {
            d.variable.name.value: value_from_ast_untyped(d.default_value) if d.default_value else None
            for d in self.operation.variable_definitions or ()
        }
        self.variables.update(variables)
        self.errors: list[dict[str, Any]] = []

    def run(self, root: Any) -> dict[str, Any] | None:
        return self.select(root, self.operation.selection_set, [])

    def select(self, target: Any, selections: SelectionSetNode, path: list[Any]) -> dict[str, Any] | None:
        result: dict[str, Any] = {}
        for node in self.fields(target, selections):
            key = node.alias.value if node.alias else node.name.value
            args = {a.name.value: value_from_ast_untyped(a.value, self.variables) for a in node.arguments or ()}
            try:
                value = self.field(target, node.name.value, args)
            except GqlError as exc:
                self.errors.append({"type": exc.type, "message": exc.message, "path": [*path, key]})
                value = None
            result[key] = self.complete(value, node, [*path, key])
        return result

    def fields(self, target: Any, selections: SelectionSetNode) -> list[FieldNode]:
        """Flatten fragments that apply to `target` into its list of field nodes."""
        found: list[FieldNode] = []
        for node in selections.selections:
            if isinstance(node, FieldNode):
                found.append(node)
                continue
            fragment: FragmentDefinitionNode | InlineFragmentNode
            if isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
            elif isinstance(node, InlineFragmentNode):
                fragment = node
            else:
                continue
            condition = fragment.type_condition.name.value if fragment.type_condition else None
            if applies(target, condition):
                found.extend(self.fields(target, fragment.selection_set))
        return found

    def field(self, target: Any, name: str, args: dict[str, Any]) -> Any:
        if name == "__typename":
            return typename(target)
        if isinstance(target, dict):
            return target.get(name)
        return target.resolve(name, args)

    def complete(self, value: Any, node: FieldNode, path: list[Any]) -> Any:
        if value is None or node.selection_set is None:
            return value
        if isinstance(value, list):
            return [self.complete(item, node, [*path, i]) for i, item in enumerate(value)]
        return self.select(value, node.selection_set, path)


def typename(target: Any) -> str:
    return target.get("__typename", "Object") if isinstance(target, dict) else target.typename


def applies(target: Any, condition: str | None) -> bool:
    if condition is None or condition == typename(target):
        return True
    implements = () if isinstance(target, dict) else target.implements
    return condition in implements or condition not in CONCRETE
