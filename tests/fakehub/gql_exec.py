"""A GraphQL executor over Python objects, typed by GitHub's real schema.

The document has been validated against the schema before it gets here, so every field exists; the schema
also says which object type each value is (`__typename`, fragment conditions) and coerces arguments. Values
come from the objects: any object answers a field through `resolve(name, args)`, dicts answer by key. So
adding a field that gh starts asking for is one line, and a field nobody emulates comes back null (reported
on stderr) rather than failing the whole query. Introspection fields are answered by graphql-core from the
schema itself."""

from __future__ import annotations

import base64
import sys
from collections.abc import Awaitable
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    execute,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)


class GqlError(Exception):
    """A field-level error: the field becomes null and an entry lands in `errors`, as on GitHub."""

    def __init__(self, message: str, type: str = "UNPROCESSABLE") -> None:
        super().__init__(message)
        self.message, self.type = message, type


class Obj:
    """Base for GraphQL objects: field `x` comes from method `f_x(**args)`, else from `self.values["x"]`."""

    typename = "Object"  # the runtime type when the schema's field type is an interface or a union

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
    """Runs one validated operation: coerced variables, fragments, aliases, `__typename`, per-field errors."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Any,  # coerced by graphql-core (see gql_validate.prepare)
        raw_variables: dict[str, Any],
    ) -> None:
        self.schema, self.document, self.operation = schema, document, operation
        self.variables, self.raw_variables = variables, raw_variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.errors: list[dict[str, Any]] = []

    def run(self, root: Any) -> dict[str, Any] | None:
        kind = self.operation.operation
        root_type = self.schema.mutation_type if kind == OperationType.MUTATION else self.schema.query_type
        assert root_type is not None
        return self.select(root, root_type, self.operation.selection_set, [])

    def select(
        self, target: Any, runtime: GraphQLObjectType, selections: SelectionSetNode, path: list[Any]
    ) -> dict[str, Any] | None:
        result: dict[str, Any] = {}
        for node in self.fields(runtime, selections):
            key = node.alias.value if node.alias else node.name.value
            name = node.name.value
            if name == "__typename":
                result[key] = runtime.name
                continue
            if name in ("__schema", "__type"):
                result[key] = self.introspect(node, key)
                continue
            definition = runtime.fields[name]
            given = {a.name.value for a in node.arguments or ()}
            args = {k: v for k, v in get_argument_values(definition, node, self.variables).items() if k in given}
            try:
                value = target.get(name) if isinstance(target, dict) else target.resolve(name, args)
            except GqlError as exc:
                self.errors.append({"type": exc.type, "message": exc.message, "path": [*path, key]})
                value = None
            result[key] = self.complete(value, definition.type, node, [*path, key])
        return result

    def fields(self, runtime: GraphQLObjectType, selections: SelectionSetNode) -> list[FieldNode]:
        """Flatten the fragments that apply to the runtime type into its list of field nodes."""
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
            if self.applies(runtime, condition):
                found.extend(self.fields(runtime, fragment.selection_set))
        return found

    def applies(self, runtime: GraphQLObjectType, condition: str | None) -> bool:
        if condition is None or condition == runtime.name:
            return True
        wanted = self.schema.get_type(condition)
        return is_abstract_type(wanted) and self.schema.is_sub_type(wanted, runtime)

    def complete(self, value: Any, type_: GraphQLOutputType, node: FieldNode, path: list[Any]) -> Any:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if value is None or is_leaf_type(type_):
            return value
        if isinstance(type_, GraphQLList):
            return [self.complete(item, type_.of_type, node, [*path, i]) for i, item in enumerate(value)]
        assert node.selection_set is not None
        runtime = type_ if isinstance(type_, GraphQLObjectType) else self.runtime_type(value, type_, path)
        return None if runtime is None else self.select(value, runtime, node.selection_set, path)

    def runtime_type(self, value: Any, abstract: Any, path: list[Any]) -> GraphQLObjectType | None:
        """The object type of a value in an interface- or union-typed field (its `typename`)."""
        name = value.get("__typename") if isinstance(value, dict) else value.typename
        found = self.schema.get_type(name or "")
        if isinstance(found, GraphQLObjectType) and self.schema.is_sub_type(abstract, found):
            return found
        print(f"fakehub: graphql value of type {name!r} cannot be a {abstract.name}", file=sys.stderr)
        self.errors.append({"type": "INTERNAL", "message": f"fakehub: {name!r} is not a {abstract.name}", "path": path})
        return None

    def introspect(self, node: FieldNode, key: str) -> Any:
        """`__schema` / `__type` answered by graphql-core from the real schema, fragments and variables included."""
        operation = OperationDefinitionNode(
            operation=OperationType.QUERY,
            variable_definitions=self.operation.variable_definitions,
            selection_set=SelectionSetNode(selections=(node,)),
        )
        document = DocumentNode(definitions=(operation, *self.fragments.values()))
        answer = execute(self.schema, document, variable_values=self.raw_variables)
        assert not isinstance(answer, Awaitable)
        if answer.errors:  # a validated introspection field does not fail; should one, say so like GitHub
            self.errors.extend({"message": e.message, "path": e.path} for e in answer.errors)
        return (answer.data or {}).get(key)
