"""GraphQL exchanges checked against github.com's schema (@octokit/graphql-schema plus the few members
fakehub documents in github_extensions.graphql): every document must validate, an invalid one must be
refused with located errors and no data, and the data of a valid one must have exactly the shape its
selection asks for, every value of its field's type."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fakehub import descriptions
from fakehub.gql_validate import RULES
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    is_abstract_type,
    parse,
    validate,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

#: Built-in scalars and the Python values that represent them in JSON.
SCALARS: dict[str, tuple[type, ...]] = {"Int": (int,), "Float": (int, float), "Boolean": (bool,), "ID": (str, int)}


@dataclass
class GraphQLReport:
    documents: set[str] = field(default_factory=set)
    checked: int = 0
    invalid_refused: int = 0
    mismatches: list[str] = field(default_factory=list)


class GraphQLContract:
    def __init__(self) -> None:
        self.schema: GraphQLSchema = descriptions.graphql_schema()
        self.memo: dict[tuple[str, str, str], tuple[list[str], bool]] = {}  # suites repeat exchanges

    def check(self, exchange: dict[str, Any], report: GraphQLReport) -> None:
        if exchange["method"] != "POST" or exchange["status"] != 200:
            return
        try:
            request = json.loads(exchange["request_body"] or "")
            answer = json.loads(exchange["body"] or "")
            query = request["query"]
        except (ValueError, KeyError, TypeError):
            return  # not a GraphQL request fakehub could read; the REST contract covers its error answer
        report.checked += 1
        report.documents.add(query)
        key = (query, str(request.get("operationName")), exchange["body"])
        if key not in self.memo:
            refused = report.invalid_refused
            found = self.problems(query, request, answer, report)
            self.memo[key] = (found, report.invalid_refused > refused)
        else:
            report.invalid_refused += self.memo[key][1]
        where = f"graphql {operation_label(query)}"
        report.mismatches.extend(f"{where}: {p}" for p in self.memo[key][0])

    def problems(self, query: str, request: dict[str, Any], answer: Any, report: GraphQLReport) -> list[str]:
        if not isinstance(answer, dict) or not ("data" in answer or "errors" in answer):
            return ["the answer has neither data nor errors"]
        try:
            document = parse(query)
        except GraphQLError:
            return self.refusal_problems(answer, report)
        if validate(self.schema, document, RULES):
            return self.refusal_problems(answer, report)
        problems = [f"error without message: {e}" for e in answer.get("errors") or () if "message" not in e]
        data = answer.get("data")
        if data is None:
            return problems  # refused before execution (variables, page limits) or a top-level error
        operation = pick(document, request.get("operationName"))
        if operation is None:
            return [*problems, "data for a document without a matching operation"]
        root = self.schema.mutation_type if operation.operation == OperationType.MUTATION else self.schema.query_type
        assert root is not None
        checker = Shape(self.schema, document)
        checker.check_object(data, root, operation.selection_set, "data")
        return [*problems, *checker.problems]

    def refusal_problems(self, answer: dict[str, Any], report: GraphQLReport) -> list[str]:
        """GitHub refuses an invalid document as a whole: no data, located errors."""
        report.invalid_refused += 1
        errors = answer.get("errors")
        if "data" in answer or not errors:
            return ["an invalid document was executed instead of refused"]
        return [f"error without message/locations: {e}" for e in errors if "message" not in e or "locations" not in e]


def operation_label(query: str) -> str:
    try:
        for definition in parse(query).definitions:
            if isinstance(definition, OperationDefinitionNode):
                return f"{definition.operation.value} {definition.name.value if definition.name else '(anonymous)'}"
    except GraphQLError:
        return "(unparsable)"
    return "(no operation)"


def pick(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    named = [op for op in operations if name and op.name and op.name.value == name]
    return named[0] if named else operations[0] if len(operations) == 1 else None


class Shape:
    """Walks data and selection together: keys exactly as selected, every value of its field's type."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.problems: list[str] = []

    def check_object(self, value: Any, declared: GraphQLCompositeType, selections: SelectionSetNode, path: str) -> None:
        if not isinstance(value, dict):
            self.problems.append(f"{path}: expected an object of {declared.name}, got {type(value).__name__}")
            return
        runtime = self.runtime(value, declared, selections, path)
        if runtime is None:
            return
        fields = self.collect(runtime, selections)
        if set(fields) != set(value):
            missing, extra = sorted(set(fields) - set(value)), sorted(set(value) - set(fields))
            self.problems.append(f"{path}: keys differ from the selection (missing {missing}, extra {extra})")
        for key, node in fields.items():
            if key not in value:
                continue
            name = node.name.value
            if name == "__typename":
                if value[key] != runtime.name:
                    self.problems.append(f"{path}.{key}: __typename {value[key]!r}, the object is a {runtime.name}")
                continue
            if name == "__type":
                definition_type: GraphQLOutputType = TypeMetaFieldDef.type
            elif name == "__schema":
                definition_type = SchemaMetaFieldDef.type
            else:
                definition_type = runtime.fields[name].type
            self.check_value(value[key], definition_type, node, f"{path}.{key}")

    def runtime(
        self, value: dict[str, Any], declared: GraphQLCompositeType, selections: SelectionSetNode, path: str
    ) -> GraphQLObjectType | None:
        """The object type of a value: the declared one, or for an interface/union the one its `__typename`
        names (a selection on an abstract type that spreads type-specific fragments must ask for it)."""
        if isinstance(declared, GraphQLObjectType):
            return declared
        assert isinstance(declared, GraphQLInterfaceType | GraphQLUnionType)
        typename = next(
            (value[k] for k, n in self.collect_any(selections).items() if n.name.value == "__typename" and k in value),
            None,
        )
        if typename is None:
            candidates = [
                t for t in self.schema.get_possible_types(declared) if set(self.collect(t, selections)) == set(value)
            ]
            if candidates:
                return candidates[0]
            self.problems.append(f"{path}: no type of {declared.name} has exactly the keys {sorted(value)}")
            return None
        found = self.schema.get_type(str(typename))
        if not isinstance(found, GraphQLObjectType) or not self.schema.is_sub_type(declared, found):
            self.problems.append(f"{path}: __typename {typename!r} is not a possible type of {declared.name}")
            return None
        return found

    def collect(self, runtime: GraphQLObjectType, selections: SelectionSetNode) -> dict[str, FieldNode]:
        found: dict[str, FieldNode] = {}
        for node in selections.selections:
            if isinstance(node, FieldNode):
                found.setdefault((node.alias or node.name).value, node)
                continue
            fragment = self.fragments[node.name.value] if isinstance(node, FragmentSpreadNode) else node
            assert isinstance(fragment, FragmentDefinitionNode | InlineFragmentNode)
            condition = fragment.type_condition.name.value if fragment.type_condition else None
            if condition is None or self.applies(runtime, condition):
                for key, child in self.collect(runtime, fragment.selection_set).items():
                    found.setdefault(key, child)
        return found

    def collect_any(self, selections: SelectionSetNode) -> dict[str, FieldNode]:
        """Top-level field nodes regardless of fragment conditions (to find `__typename`)."""
        return {(n.alias or n.name).value: n for n in selections.selections if isinstance(n, FieldNode)}

    def applies(self, runtime: GraphQLObjectType, condition: str) -> bool:
        wanted = self.schema.get_type(condition)
        if wanted is runtime:
            return True
        return is_abstract_type(wanted) and self.schema.is_sub_type(wanted, runtime)

    def check_value(self, value: Any, type_: GraphQLOutputType, node: FieldNode, path: str) -> None:
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                self.problems.append(f"{path}: null for non-null {type_}")
                return
            type_ = type_.of_type
        if value is None:
            return
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                self.problems.append(f"{path}: expected a list for {type_}, got {type(value).__name__}")
                return
            for index, item in enumerate(value):
                self.check_value(item, type_.of_type, node, f"{path}[{index}]")
            return
        if isinstance(type_, GraphQLEnumType):
            if value not in type_.values:
                self.problems.append(f"{path}: {value!r} is not a value of enum {type_.name}")
            return
        if isinstance(type_, GraphQLScalarType):
            allowed = SCALARS.get(type_.name, (str,))  # GitHub's custom scalars (DateTime, URI...) are strings
            ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
            if not ok:
                self.problems.append(f"{path}: {value!r} is not a {type_.name}")
            return
        assert node.selection_set is not None
        assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        self.check_object(value, type_, node.selection_set, path)
