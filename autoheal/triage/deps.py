"""Where a project declares its dependencies, what it declares, and adding one more."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(tree: Path) -> list[str]:
    """Requirement strings from `[project].dependencies` and every top-level `requirements*.txt`."""
    found = list(_pyproject(tree).get("dependencies", []))
    for path in sorted(tree.glob("requirements*.txt")):
        found += [line for line in _requirement_lines(path.read_text(encoding="utf-8"))]
    return found


def declares(tree: Path, distribution: str) -> bool:
    want = canonical(distribution)
    return any(canonical(re.split(r"[\s\[<>=!~;@(]", req, maxsplit=1)[0]) == want for req in declared(tree))


def add(tree: Path, distribution: str) -> tuple[str, str] | None:
    """(relative path, new content) declaring `distribution`, or None if no safe edit was found.

    A `[project]` table in pyproject.toml wins; else requirements.txt (created if no file declares anything).
    """
    pyproject = tree / "pyproject.toml"
    if "name" in _pyproject(tree):
        text = _add_to_pyproject(pyproject.read_text(encoding="utf-8"), distribution)
        return ("pyproject.toml", text) if text is not None else None
    requirements = sorted(tree.glob("requirements*.txt"))
    path = tree / "requirements.txt" if (tree / "requirements.txt").exists() or not requirements else requirements[0]
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    return path.name, old + ("" if not old or old.endswith("\n") else "\n") + distribution + "\n"


def _requirement_lines(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def _pyproject(tree: Path) -> dict:
    try:
        return tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _add_to_pyproject(text: str, distribution: str) -> str | None:
    """Append to `[project].dependencies` by editing the text (comments and layout survive);
    the result is re-parsed and must differ from the original by exactly that one entry."""
    before = tomllib.loads(text)["project"].get("dependencies")
    header = re.search(r"(?m)^\[project\]\s*$", text)
    section_end = re.search(r"(?m)^\[", text[header.end() :]) if header else None
    end = header.end() + section_end.start() if section_end else len(text)
    if before is None:
        new = text[: header.end()] + f'\ndependencies = ["{distribution}"]' + text[header.end() :]
    else:
        key = re.compile(r"(?m)^dependencies\s*=\s*\[").search(text, header.end(), end)
        close = _closing_bracket(text, key.end()) if key else None
        if close is None:
            return None
        new = _insert_entry(text, key.end(), close, f'"{distribution}"')
    after = tomllib.loads(new)["project"].get("dependencies")
    return new if after == [*(before or []), distribution] else None


def _insert_entry(text: str, open_at: int, close: int, entry: str) -> str:
    """Insert `entry` as the last array item, keeping a one-line array on one line."""
    inside = text[open_at:close]
    if "\n" not in inside:
        return text[:close] + (", " if inside.strip() else "") + entry + text[close:]
    line_start = text.rfind("\n", open_at, close) + 1
    indent = (re.findall(r"\n([ \t]+)\S", inside) or ["    "])[0]
    last = text[open_at:line_start].rstrip()
    comma = "" if not last.strip() or last.endswith(",") else ","
    prefix = text[: open_at + len(last)] + comma + text[open_at + len(last) : line_start]
    return prefix + f"{indent}{entry},\n" + text[line_start:]


def _closing_bracket(text: str, start: int) -> int | None:
    """Index of the `]` closing an array that opened just before `start`, skipping strings and comments."""
    depth, i = 1, start
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            i = text.find(ch, i + 1)
            if i < 0:
                return None
        elif ch == "#":
            i = text.find("\n", i)
            if i < 0:
                return None
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None
