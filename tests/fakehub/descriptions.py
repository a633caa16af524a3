"""GitHub's published API descriptions (pinned npm packages that scripts/setup-octokit.sh installs), loaded
once per process. fakehub validates GraphQL documents and answers introspection from the real schema, so
clients take the code paths they take on github.com; the contract tests check REST exchanges against the
OpenAPI description from the same place."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_ast_schema, extend_schema, parse

#: Where `make system` puts the packages; FAKEHUB_OCTOKIT_DIR overrides it (a node_modules-style tree).
DEFAULT_DIR = Path(__file__).resolve().parents[2] / ".tools" / "octokit" / "node_modules" / "@octokit"


class MissingDescriptions(RuntimeError):
    """The pinned descriptions are not installed: fakehub cannot be GitHub-shaped without them."""


def package_dir(name: str) -> Path:
    root = Path(os.environ.get("FAKEHUB_OCTOKIT_DIR") or DEFAULT_DIR)
    found = root / name
    if not (found / "package.json").is_file():
        raise MissingDescriptions(f"@octokit/{name} is not installed under {root}: run `make system`")
    return found


def require() -> None:
    """Raise MissingDescriptions unless all three pinned packages are installed."""
    for name in ("openapi", "graphql-schema", "fixtures"):
        package_dir(name)


def version(name: str) -> str:
    """The pinned version of `@octokit/NAME` that is loaded, for test output and reports."""
    return str(json.loads((package_dir(name) / "package.json").read_text())["version"])


#: What github.com serves beyond the pinned description and gh uses (see the file's header).
EXTENSIONS = Path(__file__).with_name("github_extensions.graphql")


@functools.cache
def graphql_schema() -> GraphQLSchema:
    """github.com's GraphQL schema: the pinned description plus EXTENSIONS, built once (about a second)."""
    return extend_schema(pinned_graphql_schema(), parse(EXTENSIONS.read_text(encoding="utf-8")), assume_valid=True)


@functools.cache
def pinned_graphql_schema() -> GraphQLSchema:
    """The schema exactly as @octokit/graphql-schema describes it."""
    source = (package_dir("graphql-schema") / "schema.graphql").read_text(encoding="utf-8")
    # assume_valid: GitHub's schema breaks one rule graphql-core 3.3 checks (deprecated implementations of
    # interface fields); it is still the schema github.com serves.
    return build_ast_schema(parse(source, no_location=True), assume_valid=True, assume_valid_sdl=True)


@functools.cache
def openapi() -> dict[str, Any]:
    """api.github.com's OpenAPI 3.0 description, with `$ref`s left in place."""
    path = package_dir("openapi") / "generated" / "api.github.com.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def fixtures_dir() -> Path:
    """@octokit/fixtures' recorded api.github.com scenarios (one JSON list of exchanges each)."""
    return package_dir("fixtures") / "scenarios" / "api.github.com"
