"""REST exchanges checked against api.github.com's OpenAPI description (@octokit/openapi): the operation's
documented status, headers and JSON schema of the answer, and the request's parameters and body schema (a
request the schema rejects must not be accepted)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fakehub import descriptions, openapi
from fakehub.server import API_VERSIONS
from jsonschema import Draft4Validator

#: Statuses GitHub may give on any operation whether or not the description lists them.
GENERIC_ERRORS = {400, 401, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504}
LINK = re.compile(r'^<([^<>\s]+)>; rel="(next|last|prev|first)"$')
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset")


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec.get("operationId") or f"{self.method} {self.template}")

    def pointer(self, *parts: str) -> str:
        return "/".join(["", "paths", escape(self.template), self.method.lower(), *(escape(p) for p in parts)])


@dataclass
class RestReport:
    checked: int = 0
    operations: set[str] = field(default_factory=set)
    mismatches: list[str] = field(default_factory=list)


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


class RestContract:
    """Loads the description once; `check(exchange)` returns the ways an exchange departs from it."""

    def __init__(self) -> None:
        self.spec = descriptions.openapi()
        self.operations = [
            Operation(method, template, pattern, self.spec["paths"][template][method.lower()])
            for method, pattern, template in openapi.operations()
        ]
        self.memo: dict[tuple[str, str], list[str]] = {}  # (schema pointer, body) -> problems: suites repeat

    def operation(self, method: str, path: str) -> Operation | None:
        verb = "GET" if method == "HEAD" else method
        for op in self.operations:
            if op.method == verb and op.pattern.match(path):
                return op
        return None

    def validator(self, pointer: str) -> Draft4Validator:
        return openapi.validator_at(pointer)

    def resolve(self, node: Any) -> Any:
        """Follow `$ref`s to components (responses, parameters) until a concrete object."""
        return openapi.resolve(self.spec, node)

    def check(self, exchange: dict[str, Any], report: RestReport) -> None:
        op = self.operation(exchange["method"], exchange["path"])
        where = f"{exchange['method']} {exchange['path']} -> {exchange['status']}"
        if op is None:
            if exchange["status"] < 400:
                report.mismatches.append(f"{where}: no such operation in GitHub's description")
            report.checked += 1
            return
        report.checked += 1
        report.operations.add(op.name)
        problems = [*self.request_problems(op, exchange), *self.response_problems(op, exchange)]
        report.mismatches.extend(f"{where} [{op.name}]: {p}" for p in problems)

    # -- requests ------------------------------------------------------------------------------------------
    def request_problems(self, op: Operation, exchange: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        accepted = exchange["status"] < 400
        version = exchange["request_headers"].get("x-github-api-version")
        if version is not None and version not in API_VERSIONS and accepted:
            problems.append(f"accepted unsupported X-GitHub-Api-Version {version!r}")
        for name, value in parse_qsl(exchange["query"]):
            param = self.query_parameter(op, name)
            if param is None or "schema" not in param:
                continue
            schema = openapi.json_schema(self.spec, param["schema"], ())
            errors = schema_errors(Draft4Validator(schema), coerce_query(value, schema))
            if errors and accepted:
                problems.append(f"accepted query parameter {name}={value!r} GitHub rejects: {errors[0]}")
        body_spec = self.resolve(op.spec.get("requestBody"))
        text = exchange["request_body"]
        if body_spec and text and text.strip() and "application/json" in body_spec.get("content", {}):
            try:
                data = json.loads(text)
            except ValueError:
                return [*problems, "accepted a request body that is not JSON"] if accepted else problems
            validator = self.validator(op.pointer("requestBody", "content", "application/json", "schema"))
            if isinstance(op.spec["requestBody"], dict) and "$ref" in op.spec["requestBody"]:
                ref = op.spec["requestBody"]["$ref"].removeprefix("#")
                validator = self.validator(f"{ref}/content/application~1json/schema")
            errors = schema_errors(validator, data)
            if errors and accepted:
                problems.append(f"accepted a request body GitHub's schema rejects: {errors[0]}")
        return problems

    def query_parameter(self, op: Operation, name: str) -> dict[str, Any] | None:
        for param in op.spec.get("parameters", []):
            found = self.resolve(param)
            if found.get("in") == "query" and found.get("name") == name:
                return dict(found)
        return None

    # -- responses -----------------------------------------------------------------------------------------
    def response_problems(self, op: Operation, exchange: dict[str, Any]) -> list[str]:
        status = exchange["status"]
        headers = {k.lower(): v for k, v in exchange["headers"].items()}
        problems = header_problems(headers, exchange)
        documented = op.spec.get("responses", {})
        key = str(status)
        if key in documented:
            response = self.resolve(documented[key])
            pointer = op.pointer("responses", key)
            if "$ref" in documented[key]:
                pointer = documented[key]["$ref"].removeprefix("#")
        elif status in GENERIC_ERRORS:
            response, pointer = {"content": {"application/json": {}}}, "/components/responses/generic"
        elif (
            status == 304 and exchange["method"] in ("GET", "HEAD") and exchange["request_headers"].get("if-none-match")
        ):
            response, pointer = {}, ""  # any conditional GET may be answered "not modified"
        else:
            return [*problems, f"status {status} is not documented (documented: {sorted(documented)})"]
        if status in (204, 304) or not response.get("content"):
            if exchange["body_size"]:
                problems.append(f"status {status} answers with a body")
            return problems
        if exchange["method"] == "HEAD":
            return problems
        sent = headers.get("content-type", "").split(";")[0].strip()
        if "json" not in sent:  # a diff, a zip, plain text: documented, but nothing to validate as JSON
            media = [m.split(";")[0] for m in response["content"]]
            if sent not in media and not sent.startswith("application/vnd.github."):
                problems.append(f"content type {sent!r} is not documented ({media})")
            return problems
        json_media = next((m for m in response["content"] if "json" in m), None)
        if json_media is None:
            return [*problems, f"a JSON answer where the description documents {list(response['content'])}"]
        try:
            body = json.loads(exchange["body"] or "")
        except ValueError:
            return [*problems, "a JSON answer that does not parse"]
        if status >= 400:
            problems.extend(error_problems(body, status))
        if "schema" in response["content"][json_media]:
            schema_pointer = f"{pointer}/content/{escape(json_media)}/schema"
            seen = (schema_pointer, exchange["body"] or "")
            if seen not in self.memo:
                self.memo[seen] = [f"body: {e}" for e in schema_errors(self.validator(schema_pointer), body)[:3]]
            problems.extend(self.memo[seen])
        return problems


def header_problems(headers: dict[str, str], exchange: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    missing = [h for h in (*RATE_HEADERS, "x-github-request-id", "x-github-media-type") if h not in headers]
    if missing:
        problems.append(f"headers missing: {missing}")
    else:
        limit, remaining, used = (int(headers[h]) for h in RATE_HEADERS[:3])
        if remaining != max(0, limit - used) and exchange["status"] not in (403, 429):
            problems.append(f"x-ratelimit-remaining {remaining} != limit {limit} - used {used}")
    if "link" in headers:
        for part in headers["link"].split(", "):
            found = LINK.match(part)
            if found is None:
                problems.append(f"Link part not in GitHub's form: {part!r}")
            elif not re.search(r"(^|&)page=\d+", urlsplit(found[1]).query):
                problems.append(f"Link URL without page: {found[1]}")
    return problems


def error_problems(body: Any, status: int) -> list[str]:
    """GitHub's error bodies: message, documentation_url and (since 2024) the status as a string."""
    if not isinstance(body, dict):
        return ["an error answer that is not a JSON object"]
    problems = [f"error without {key}" for key in ("message", "documentation_url") if key not in body]
    if body.get("status") != str(status):
        problems.append(f"error status field {body.get('status')!r} != {str(status)!r}")
    return problems


def schema_errors(validator: Draft4Validator, value: Any) -> list[str]:
    found = []
    for error in validator.iter_errors(value):
        where = "/".join(str(p) for p in error.absolute_path)
        found.append(f"{where or '(root)'}: {error.message[:200]}")
    return sorted(found)


def coerce_query(value: str, schema: dict[str, Any]) -> Any:
    """Query strings are text; the schema's integers and booleans are parsed as GitHub parses them."""
    kind = schema.get("type")
    if kind == "integer":
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    return value
