"""What GitHub checks before it runs a GraphQL document, with its error shapes: the parse, the schema's
validation rules, variable coercion and the connection page limits. Each failure stops the request before
execution and answers `{"errors": [...]}` with `locations` (and, like graphql-ruby, a `path` into the
document and an `extensions.code`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    parse,
    print_ast,
    specified_rules,
    validate,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values

#: The spec's rules minus one graphql-ruby does not enforce as written: GitHub runs documents in which
#: `... on Issue { state }` and `... on PullRequest { state }` (two enum types) share a response key.
RULES = tuple(rule for rule in specified_rules if rule is not OverlappingFieldsCanBeMergedRule)
#: GitHub's limit on `first`/`last` of any connection.
PAGE_LIMIT = 100


class Rejected(Exception):
    """The document cannot run; `errors` is the list GitHub would answer with."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else "rejected")
        self.errors = errors


def prepare(
    schema: GraphQLSchema, query: str, operation_name: str | None, variables: dict[str, Any]
) -> tuple[DocumentNode, OperationDefinitionNode, Any]:
    """Parse, validate and coerce; returns the document, the operation to run and the coerced variables
    (graphql-core's own form, which `get_argument_values` takes: a dict in 3.2, `VariableValues` in 3.3)."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise Rejected([located(exc, parse_message(exc))]) from None
    problems = validate(schema, document, RULES)
    if problems:
        paths, literals = document_paths(document), argument_literals(schema, document)
        raise Rejected([validation_error(exc, paths, literals) for exc in problems])
    operation = pick_operation(document, operation_name)
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        raise Rejected([variable_error(exc, operation, variables) for exc in coerced])
    limits = page_limit_errors(schema, document, operation, coerced)
    if limits:
        raise Rejected(limits)
    return document, operation, coerced


def pick_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise Rejected([{"message": "No operations in query document"}])
    if name:
        named = [op for op in operations if op.name and op.name.value == name]
        if not named:
            raise Rejected([{"message": f'No operation named "{name}"'}])
        return named[0]
    if len(operations) > 1:
        raise Rejected([{"message": "An operation name is required"}])
    return operations[0]


def located(exc: GraphQLError, message: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"message": message, **extra}
    entry["locations"] = [{"line": loc.line, "column": loc.column} for loc in exc.locations or ()]
    return entry


def parse_message(exc: GraphQLError) -> str:
    """graphql-ruby words parse errors as `Parse error on "}" (RCURLY) at [1, 10]`."""
    where = exc.locations[0] if exc.locations else None
    token = re.search(r"(?:Unexpected|found) (.+)\.$", exc.message)
    at = f" at [{where.line}, {where.column}]" if where else ""
    return f"Parse error on {token.group(1) if token else 'input'}{at}"


# -- validation errors in graphql-ruby's words ---------------------------------------------------------
Translation = Callable[[re.Match[str]], tuple[str, dict[str, Any]]]
TRANSLATIONS: list[tuple[re.Pattern[str], Translation]] = [
    (
        re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\."),
        lambda m: (
            f"Field '{m[1]}' doesn't exist on type '{m[2]}'",
            {"code": "undefinedField", "typeName": m[2], "fieldName": m[1]},
        ),
    ),
    (
        re.compile(r"^Field '(\w+)' argument '(\w+)' of type '.+' is required, but it was not provided\."),
        lambda m: (
            f"Field '{m[1]}' is missing required arguments: {m[2]}",
            {"code": "missingRequiredArguments", "className": "Field", "name": m[1], "arguments": m[2]},
        ),
    ),
    (
        re.compile(r"^Argument '\w+\.(\w+)\((\w+):\)' of type '.+' is required, but it was not provided\."),
        lambda m: (
            f"Field '{m[1]}' is missing required arguments: {m[2]}",
            {"code": "missingRequiredArguments", "className": "Field", "name": m[1], "arguments": m[2]},
        ),
    ),
    (
        re.compile(r"^Unknown argument '(\w+)' on field '\w+\.(\w+)'\."),
        lambda m: (
            f"Field '{m[2]}' doesn't accept argument '{m[1]}'",
            {"code": "argumentNotAccepted", "name": m[2], "typeName": "Field", "argumentName": m[1]},
        ),
    ),
    (
        re.compile(r"^Unknown type '(\w+)'\."),
        lambda m: (
            f"No such type {m[1]}, so it can't be a fragment condition",
            {"code": "undefinedType", "typeName": m[1]},
        ),
    ),
    (
        re.compile(r"^Field '(\w+)' of type '(.+)' must have a selection of subfields\."),
        lambda m: (
            f"Field must have selections (field '{m[1]}' returns {m[2].strip('[]!')} but has no selections. "
            f"Did you mean '{m[1]} {{ ... }}'?)",
            {"code": "selectionMismatch", "nodeName": f"field '{m[1]}'", "typeName": m[2].strip("[]!")},
        ),
    ),
    (
        re.compile(r"^Field '(\w+)' must not have a selection since type '(.+)' has no subfields\."),
        lambda m: (
            f"Selections can't be made on scalars (field '{m[1]}' returns {m[2].strip('[]!')} but has selections "
            f"[...])",
            {"code": "selectionMismatch", "nodeName": f"field '{m[1]}'", "typeName": m[2].strip("[]!")},
        ),
    ),
    (
        re.compile(r"^Variable '\$(\w+)' is never used"),
        lambda m: (f"Variable ${m[1]} is declared but not used", {"code": "variableNotUsed", "variableName": m[1]}),
    ),
    (
        re.compile(r"^Variable '\$(\w+)' is not defined"),
        lambda m: (f"Variable ${m[1]} is used but not declared", {"code": "variableNotDefined", "variableName": m[1]}),
    ),
]
#: Literal values the argument's type cannot hold (illegal enum values, strings for ints...).
BAD_LITERAL = re.compile(
    r"^(?:Enum '\w+' cannot represent .*|Value '.*' does not exist in '\w+' enum.*|"
    r"\w+ cannot represent .*|Expected value of type '.+', found .*)"
)


def validation_error(
    exc: GraphQLError, paths: dict[int, list[str]], literals: dict[int, tuple[str, str]]
) -> dict[str, Any]:
    node = exc.nodes[0] if exc.nodes else None
    path = paths.get(id(node), []) if node is not None else []
    for pattern, translate in TRANSLATIONS:
        found = pattern.match(exc.message)
        if found:
            message, extensions = translate(found)
            return located(exc, message, path=path, extensions=extensions)
    if BAD_LITERAL.match(exc.message) and path and node is not None and id(node) in literals:
        argument = path[-1]
        printed, expected = literals[id(node)]
        return located(
            exc,
            f"Argument '{argument}' on Field '{path[-2] if len(path) > 1 else ''}' has an invalid value "
            f"({printed}). Expected type '{expected}'.",
            path=path,
            extensions={"code": "argumentLiteralsIncompatible", "typeName": "Field", "argumentName": argument},
        )
    return located(exc, exc.message, path=path, extensions={"code": "validationError"})


def argument_literals(schema: GraphQLSchema, document: DocumentNode) -> dict[int, tuple[str, str]]:
    """For every node inside an argument's value: the whole value as written and the argument's type,
    which graphql-ruby names in `argumentLiteralsIncompatible` messages."""
    found: dict[int, tuple[str, str]] = {}
    info = TypeInfo(schema)

    class Literals(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            argument = info.get_argument()
            entry = (print_ast(node.value), str(argument.type) if argument else "?")
            pending: list[Any] = [node.value]
            while pending:
                item = pending.pop()
                found[id(item)] = entry
                pending.extend(getattr(item, "values", ()) or ())
                pending.extend(f.value for f in getattr(item, "fields", ()) or ())

    visit(document, TypeInfoVisitor(info, Literals()))
    return found


def document_paths(document: DocumentNode) -> dict[int, list[str]]:
    """graphql-ruby's error `path`: operation ("query Name"), then field names and argument names."""
    paths: dict[int, list[str]] = {}

    def walk(node: Any, trail: list[str]) -> None:
        paths[id(node)] = trail
        if isinstance(node, OperationDefinitionNode):
            head = node.operation.value + (f" {node.name.value}" if node.name else "")
            trail = [head]
        elif hasattr(node, "type_condition") and hasattr(node, "name") and node.name is not None:
            trail = [f"fragment {node.name.value}"]
        elif isinstance(node, FieldNode):
            trail = [*trail, (node.alias or node.name).value]
        elif getattr(node, "kind", "") == "argument":
            trail = [*trail, node.name.value]
        paths[id(node)] = trail
        for key in getattr(node, "keys", ()):
            child = getattr(node, key, None)
            for item in child if isinstance(child, tuple | list) else (child,):
                if hasattr(item, "kind") and key not in ("loc", "name"):
                    walk(item, trail)

    for definition in document.definitions:
        walk(definition, [])
    return paths


def variable_error(exc: GraphQLError, operation: OperationDefinitionNode, variables: dict[str, Any]) -> dict[str, Any]:
    """`Variable $x of type T! was provided invalid value`, with the value and the problem, like GitHub."""
    found = re.match(r"^Variable '\$(\w+)'", exc.message)
    if not found:
        return located(exc, exc.message)
    name = found[1]
    declared = {d.variable.name.value: print_ast(d.type) for d in operation.variable_definitions or ()}
    explanation = exc.message.split(": ", 1)[-1]
    return located(
        exc,
        f"Variable ${name} of type {declared.get(name, '?')} was provided invalid value",
        extensions={"value": variables.get(name), "problems": [{"path": [], "explanation": explanation}]},
    )


# -- connection page limits ------------------------------------------------------------------------------
def page_limit_errors(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Any
) -> list[dict[str, Any]]:
    """A connection whose items are read needs `first` or `last`, each within 1..100, or GitHub refuses the whole
    document."""
    errors: list[dict[str, Any]] = []
    info = TypeInfo(schema)
    trail: list[str] = []

    class Limits(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            trail.append(node.alias.value if node.alias else node.name.value)
            definition = info.get_field_def()
            if definition is None or "first" not in definition.args or "last" not in definition.args:
                return
            if not get_named_type(definition.type).name.endswith("Connection") or not lists_items(node):
                return
            args = get_argument_values(definition, node, variables)
            name = node.name.value
            where = [location(node)]
            if args.get("first") is None and args.get("last") is None:
                errors.append(
                    {
                        "type": "MISSING_PAGINATION_BOUNDARIES",
                        "path": list(trail),
                        "locations": where,
                        "message": f"You must provide a `first` or `last` value to properly paginate the "
                        f"`{name}` connection.",
                    }
                )
            for bound in ("first", "last"):
                value = args.get(bound)
                if value is not None and not 1 <= value <= PAGE_LIMIT:
                    errors.append(
                        {
                            "type": "EXCESSIVE_PAGINATION" if value > PAGE_LIMIT else "INVALID_PAGINATION",
                            "path": list(trail),
                            "locations": where,
                            "message": f"Requesting {value} records on the `{name}` connection exceeds the "
                            f"`{bound}` limit of {PAGE_LIMIT} records."
                            if value > PAGE_LIMIT
                            else f"`{bound}` on the `{name}` connection must be between 1 and {PAGE_LIMIT}.",
                        }
                    )

        def leave_field(self, *_: Any) -> None:
            trail.pop()

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> Any:
            return None if node is operation else False

    visit(document, TypeInfoVisitor(info, Limits()))
    return errors


def lists_items(node: FieldNode) -> bool:
    """Whether a connection's selection reads `nodes` or `edges` (GitHub answers `totalCount` alone unpaged)."""
    pending = list(node.selection_set.selections if node.selection_set else ())
    while pending:
        item = pending.pop()
        if isinstance(item, FieldNode):
            if item.name.value in ("nodes", "edges"):
                return True
        elif isinstance(item, InlineFragmentNode):
            pending.extend(item.selection_set.selections)
        else:
            return True  # a named fragment spread: assume it lists items (fail closed)
    return False


def location(node: FieldNode) -> dict[str, int]:
    assert node.loc is not None
    found = node.loc.source.get_location(node.loc.start)
    return {"line": found.line, "column": found.column}
