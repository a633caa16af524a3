"""Poetry's `[tool.poetry.dependencies]` table read as PEP 508 requirements (for a project no one builds)."""

from __future__ import annotations

import re
from typing import Any

_VERSION = re.compile(r"\d+(?:\.\d+)*")


def table(data: dict[str, Any], name: str = "dependencies") -> dict[str, Any]:
    found = data.get("tool", {}).get("poetry", {}).get(name, {})
    return found if isinstance(found, dict) else {}


def requirements(data: dict[str, Any]) -> list[str]:
    """The required (not optional) dependencies, `python` left out."""
    found = []
    for name, spec in table(data).items():
        if name.lower() == "python":
            continue
        if isinstance(spec, dict):
            if spec.get("optional"):
                continue
            spec = spec.get("version", "*")
        if isinstance(spec, str):
            found.append(name + pep508(spec))
    return found


def optional(data: dict[str, Any]) -> list[str]:
    """Dependencies marked `optional = true` (they belong to extras) and those of every group."""
    names = [n for n, spec in table(data).items() if isinstance(spec, dict) and spec.get("optional")]
    groups = data.get("tool", {}).get("poetry", {}).get("group", {})
    for group in groups.values() if isinstance(groups, dict) else []:
        names += list((group or {}).get("dependencies", {}))
    names += list(table(data, "dev-dependencies"))
    return names


def pep508(spec: str) -> str:
    """`^1.2` -> `>=1.2,<2.0`, `~1.2` -> `>=1.2,<1.3`, `1.2` -> `==1.2`, `*` -> `` (Poetry's own rules)."""
    parts = []
    for piece in (p.strip() for p in spec.split(",")):
        if piece in ("", "*"):
            continue
        match = _VERSION.fullmatch(piece.lstrip("^~"))
        if piece[0] in "^~" and match:
            parts.append(f">={match.group()},<{_upper(match.group(), caret=piece[0] == '^')}")
        elif _VERSION.fullmatch(piece):
            parts.append(f"=={piece}")
        else:
            parts.append(piece.replace(" ", ""))
    return ",".join(parts)


def _upper(version: str, caret: bool) -> str:
    numbers = [int(n) for n in version.split(".")]
    if caret:
        index = next((i for i, n in enumerate(numbers) if n), len(numbers) - 1)
    else:
        index = min(1, len(numbers) - 1) if len(numbers) > 1 else 0
    bumped = [*numbers[:index], numbers[index] + 1]
    return ".".join(map(str, bumped + [0] * (max(len(numbers), 2) - len(bumped))))
