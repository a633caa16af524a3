"""api.github.com's OpenAPI description put to work: its operations by path, and its schemas as
self-contained JSON Schema (refs inlined, OpenAPI's `nullable` as the `null` type), prepared only for the
operations actually called. fakehub checks request bodies as GitHub does: a body the operation's schema
rejects gets GitHub's 422 ("Invalid request.") before any route sees it; the description is loaded once per
process, on its first write. The contract tests check answers with the same schemas."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from . import descriptions
from .calls import ApiError


@functools.cache
def operations() -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path pattern, template) for every operation, most literal templates first."""
    found = []
    for template, item in descriptions.openapi()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "/?$")
        for method in item:
            if method in ("get", "post", "patch", "put", "delete"):
                found.append((method.upper(), pattern, template))
    return sorted(found, key=lambda op: (-literal_segments(op[2]), op[2]))


def literal_segments(template: str) -> int:
    """So `/releases/latest` is tried before `/releases/{release_id}`."""
    return sum(1 for part in template.split("/") if part and "{" not in part)


def find_template(method: str, path: str) -> str | None:
    return next((t for verb, pattern, t in operations() if verb == method and pattern.match(path)), None)


@functools.cache
def body_validator(method: str, template: str) -> Draft4Validator | None:
    spec = descriptions.openapi()
    body = resolve(spec, spec["paths"][template][method.lower()].get("requestBody"))
    schema = (body or {}).get("content", {}).get("application/json", {}).get("schema")
    return Draft4Validator(json_schema(spec, schema, ())) if schema else None


@functools.cache
def validator_at(pointer: str) -> Draft4Validator:
    """A validator for the schema at a JSON pointer into the description (e.g. a response's schema)."""
    spec = descriptions.openapi()
    node: Any = spec
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return Draft4Validator(json_schema(spec, node, ()))


def resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def json_schema(spec: dict[str, Any], node: Any, seen: tuple[str, ...]) -> Any:
    """An OpenAPI 3.0 schema as self-contained JSON Schema: refs inlined (a cycle stays open), `nullable`
    as the `null` type."""
    if isinstance(node, list):
        return [json_schema(spec, item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        return {} if ref in seen else json_schema(spec, resolve(spec, node), (*seen, ref))
    converted = {key: json_schema(spec, value, seen) for key, value in node.items() if key != "example"}
    if converted.pop("nullable", False) is True:
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            return {"anyOf": [converted, {"type": "null"}]}
    return converted


def check_body(method: str, path: str, body: Any) -> None:
    """Raise GitHub's 422 when the body breaks the operation's request schema."""
    template = find_template(method, path)
    validator = body_validator(method, template) if template else None
    if validator is None:
        return
    error = next(iter(sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        raise ApiError(422, f"Invalid request.\n\n{github_words(error)}")


def github_words(error: ValidationError) -> str:
    """How GitHub words a schema violation: `"title" wasn't supplied.` / `For 'properties/labels', ...`."""
    if error.validator == "required":
        missing = re.match(r"^'(.+)' is a required property$", error.message)
        return f'"{missing[1] if missing else error.message}" wasn\'t supplied.'
    where = "/".join(f"properties/{p}" if isinstance(p, str) else "items" for p in error.absolute_path)
    value = json.dumps(error.instance)
    kind = error.validator_value if error.validator == "type" else None
    expected = (
        f"is not {'an' if str(kind)[:1] in 'aeiou' else 'a'} {kind}." if isinstance(kind, str) else "is not valid."
    )
    return f"For '{where or 'items'}', {value} {expected}"
