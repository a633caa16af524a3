"""Where a project declares its runtime dependencies, what it declares (required and optional), and
declaring one more in that same file, in the constraint style the file already uses.

The file that is edited is the one the project's installer reads: `[project].dependencies`, or the file a
`dynamic` dependency list comes from; Poetry's table; setup.py's or setup.cfg's `install_requires` (or the
file they read); else the requirements file holding the entries, following `-r` includes. A requirements
file is only ever created for a project that has no packaging file at all.
"""

from __future__ import annotations

import ast
import configparser
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import poetry, toml
from .project import pyproject

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DEV = re.compile(r"dev|test|lint|doc|ci\b|typing", re.IGNORECASE)
PACKAGING_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "environment.yml")


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    found = _NAME.match(requirement.strip())
    return canonical(found.group()) if found else ""


@dataclass(frozen=True)
class Target:
    """The file that declares the runtime dependencies, and how."""

    path: str  # relative to the checkout
    kind: str  # "pep621", "poetry", "setup.py", "setup.cfg" or "requirements"


def target(tree: Path) -> Target | str:
    """Where a new runtime dependency goes; a sentence saying why there is no safe place otherwise."""
    data = pyproject(tree)
    project = data.get("project")
    if isinstance(project, dict):
        if "dependencies" in project.get("dynamic", []):
            source = _dynamic_source(data)
            if source is None:
                return "`[project]` declares `dependencies` as dynamic and their source file is not known"
            return _requirements_target(tree, source)
        if "dependencies" in project or not poetry.table(data):
            return Target("pyproject.toml", "pep621")
    if poetry.table(data):
        return Target("pyproject.toml", "poetry")
    if (tree / "setup.py").is_file():
        found = _setup_py_target(tree)
        if found is not None:
            return found
    if (tree / "setup.cfg").is_file():
        found = _setup_cfg_target(tree)
        if found is not None:
            return found
    if (tree / "requirements.txt").is_file():
        return _requirements_target(tree, "requirements.txt")
    present = [name for name in PACKAGING_FILES if (tree / name).is_file() and name != "pyproject.toml"]
    if present or (tree / "pyproject.toml").is_file() and ("project" in data or "poetry" in data.get("tool", {})):
        return f"no dependency list was found that {', '.join(present) or 'pyproject.toml'} would install"
    return Target("requirements.txt", "requirements")


def declared(tree: Path) -> list[str]:
    """Runtime requirement strings the project declares, wherever they are."""
    data = pyproject(tree)
    found = [str(r) for r in (data.get("project") or {}).get("dependencies", [])]
    found += poetry.requirements(data)
    for path in _requirement_files(tree):
        found += _requirement_lines(path.read_text(encoding="utf-8"))
    setup = _setup_py(tree)
    if setup:
        found += [r for r in _literal_list(setup[1], "install_requires")]
    found += _setup_cfg_list(tree, "options", "install_requires")
    where = target(tree)
    if isinstance(where, Target) and where.kind == "requirements" and (tree / where.path).is_file():
        found += _requirement_lines((tree / where.path).read_text(encoding="utf-8"))  # a dynamic or read file
    return list(dict.fromkeys(found))


def declares(tree: Path, distribution: str) -> bool:
    want = canonical(distribution)
    return any(requirement_name(req) == want for req in declared(tree))


def optional_group(tree: Path, distribution: str) -> str | None:
    """The extra or development group that declares `distribution` (it is optional there), or None."""
    want, data = canonical(distribution), pyproject(tree)
    groups: dict[str, list[str]] = {}
    for name, reqs in ((data.get("project") or {}).get("optional-dependencies") or {}).items():
        groups[f"extra `{name}`"] = list(reqs)
    for name, reqs in (data.get("dependency-groups") or {}).items():
        groups[f"dependency group `{name}`"] = [r for r in reqs if isinstance(r, str)]
    tool = data.get("tool", {})
    for name, reqs in ((tool.get("pdm") or {}).get("dev-dependencies") or {}).items():
        groups[f"PDM dev group `{name}`"] = list(reqs)
    groups["uv dev-dependencies"] = list((tool.get("uv") or {}).get("dev-dependencies") or [])
    for name, env in ((tool.get("hatch") or {}).get("envs") or {}).items():
        groups[f"hatch environment `{name}`"] = list((env or {}).get("dependencies") or [])
    groups["Poetry optional or group dependencies"] = poetry.optional(data)
    setup = _setup_py(tree)
    for name, reqs in (_literal_dict(setup[1], "extras_require") if setup else {}).items():
        groups[f"extra `{name}`"] = reqs
    for name in _setup_cfg_keys(tree, "options.extras_require"):
        groups[f"extra `{name}`"] = _setup_cfg_list(tree, "options.extras_require", name)
    for path in sorted(tree.glob("requirements*.txt")) + sorted(tree.glob("requirements/*.txt")):
        if _DEV.search(path.name):
            groups[f"`{path.relative_to(tree).as_posix()}`"] = _requirement_lines(path.read_text(encoding="utf-8"))
    return next((label for label, reqs in groups.items() if any(requirement_name(r) == want for r in reqs)), None)


def add(tree: Path, distribution: str, version: str | None = None) -> tuple[str, str] | None:
    """(relative path, new content) declaring `distribution` in the file's style, or None if no safe edit."""
    where = target(tree)
    if isinstance(where, str):
        return None
    path = tree / where.path
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if where.kind == "poetry":
        new = _add_to_poetry(text, distribution, version)
    else:
        existing = _entries(tree, where, text)
        entry = distribution + _constraint(existing, version)
        new = _add_entry(where.kind, text, entry)
    return (where.path, new) if new is not None else None


def _add_entry(kind: str, text: str, entry: str) -> str | None:
    if kind == "pep621":
        return _add_to_pyproject(text, entry)
    if kind == "setup.py":
        return _add_to_setup_py(text, entry)
    if kind == "setup.cfg":
        return _add_to_setup_cfg(text, entry)
    return text + ("" if not text or text.endswith("\n") else "\n") + entry + "\n"


def style_of(requirements: list[str]) -> str:
    """The constraint operator most entries use: `==`, `>=`, `~=`, or `` (bare names)."""
    styles = Counter(_operator(r) for r in requirements)
    return styles.most_common(1)[0][0] if styles else ">="


def _operator(requirement: str) -> str:
    found = re.search(r"(==|>=|~=|<=|!=|<|>)", requirement.split(";")[0])
    return found.group(1) if found and found.group(1) in ("==", ">=", "~=") else ">=" if found else ""


def _constraint(existing: list[str], version: str | None) -> str:
    style = style_of(existing)
    return f"{style}{version}" if version and style else ""


def _entries(tree: Path, where: Target, text: str) -> list[str]:
    if where.kind == "pep621":
        return [str(r) for r in (pyproject(tree).get("project") or {}).get("dependencies", [])]
    if where.kind == "requirements":
        return _requirement_lines(text)
    return declared(tree)


def _dynamic_source(data: dict[str, Any]) -> str | None:
    """The requirements file a dynamic `dependencies` comes from (setuptools or hatch-requirements-txt)."""
    tool = data.get("tool", {})
    setuptools = ((tool.get("setuptools") or {}).get("dynamic") or {}).get("dependencies") or {}
    files = setuptools.get("file") if isinstance(setuptools, dict) else None
    hooks = ((tool.get("hatch") or {}).get("metadata") or {}).get("hooks") or {}
    files = files or (hooks.get("requirements_txt") or {}).get("files")
    files = [files] if isinstance(files, str) else files
    return str(files[0]) if files else None


def _requirements_target(tree: Path, start: str) -> Target | str:
    """The file among `start` and its `-r` includes that holds entries (the first one, breadth first)."""
    queue, seen = [start], set()
    root = tree.resolve()
    while queue:
        name = queue.pop(0)
        path = (tree / name).resolve()
        if name in seen or not path.is_relative_to(root):
            continue
        seen.add(name)
        if not path.is_file():
            return f"`{name}` does not exist"
        text = path.read_text(encoding="utf-8")
        if _requirement_lines(text) or not _includes(text):
            return Target(path.relative_to(root).as_posix(), "requirements")
        base = Path(name).parent
        queue += [(base / include).as_posix() for include in _includes(text) if not _DEV.search(include)]
    return f"no requirements file reachable from `{start}` holds entries"


def _includes(text: str) -> list[str]:
    found = re.findall(r"(?m)^\s*(?:-r|--requirement)[ =]\s*(\S+)", text)
    return [str(name) for name in found]


def _requirement_files(tree: Path) -> list[Path]:
    """requirements.txt and what it includes (development files aside)."""
    found: list[Path] = []
    queue = [tree / "requirements.txt"]
    while queue:
        path = queue.pop(0)
        if path in found or not path.is_file() or not path.resolve().is_relative_to(tree.resolve()):
            continue
        found.append(path)
        queue += [path.parent / name for name in _includes(path.read_text(encoding="utf-8")) if not _DEV.search(name)]
    return found


def _requirement_lines(text: str) -> list[str]:
    lines = (line.split(" #", 1)[0].split("\t#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith(("-", "#"))]


# -- pyproject.toml -----------------------------------------------------------------------------------


def _add_to_pyproject(text: str, entry: str) -> str | None:
    """Append to `[project].dependencies` by editing the text (comments and layout survive);
    the result is re-parsed and must differ from the original by exactly that one entry."""
    before = toml.loads(text)["project"].get("dependencies")
    header = re.search(r"(?m)^\[project\]\s*$", text)
    if header is None:
        return None
    section_end = re.search(r"(?m)^\[", text[header.end() :])
    end = header.end() + section_end.start() if section_end else len(text)
    if before is None:
        new = text[: header.end()] + f'\ndependencies = ["{entry}"]' + text[header.end() :]
    else:
        key = re.compile(r"(?m)^dependencies\s*=\s*\[").search(text, header.end(), end)
        close = _closing_bracket(text, key.end()) if key else None
        if key is None or close is None:
            return None
        new = _insert_entry(text, key.end(), close, f'"{entry}"')
    after = toml.loads(new)["project"].get("dependencies")
    return new if after == [*(before or []), entry] else None


def _add_to_poetry(text: str, distribution: str, version: str | None) -> str | None:
    """A `name = "^1.2"` line at the end of `[tool.poetry.dependencies]`, in the table's style."""
    header = re.search(r"(?m)^\[tool\.poetry\.dependencies\]\s*$", text)
    if header is None:
        return None
    before = toml.loads(text)["tool"]["poetry"]["dependencies"]
    specs = [s if isinstance(s, str) else str(s.get("version", "*")) for k, s in before.items() if k != "python"]
    carets = Counter("^" if s.startswith("^") else ">=" if s.startswith(">=") else "" for s in specs if s != "*")
    style = carets.most_common(1)[0][0] if carets else "^"
    spec = f"{style}{version}" if version else "*"
    nxt = re.search(r"(?m)^\[", text[header.end() :])
    end = header.end() + nxt.start() if nxt else len(text)
    body = text[header.end() : end].rstrip("\n")
    new = (
        text[: header.end()] + body + f'\n{distribution} = "{spec}"\n' + ("\n" if nxt else "") + text[end:].lstrip("\n")
    )
    after = toml.loads(new)["tool"]["poetry"]["dependencies"]
    return new if after == {**before, distribution: spec} else None


def _insert_entry(text: str, open_at: int, close: int, entry: str) -> str:
    """Insert `entry` as the last array item, keeping a one-line array on one line."""
    inside = text[open_at:close]
    if "\n" not in inside:
        return text[:close] + (", " if inside.strip() else "") + entry + text[close:]
    line_start = text.rfind("\n", open_at, close) + 1
    indent = (re.findall(r"\n([ \t]+)\S", inside) or ["    "])[0]
    last = text[open_at:line_start].rstrip()
    comma = "" if not last.strip() or last.endswith((",", "[")) else ","
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


# -- setup.py / setup.cfg -----------------------------------------------------------------------------


def _setup_py(tree: Path) -> tuple[str, ast.Module] | None:
    try:
        text = (tree / "setup.py").read_text(encoding="utf-8")
        return text, ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def _setup_keyword(module: ast.Module, keyword: str) -> ast.expr | None:
    """The value of `keyword=` in the `setup(...)` call, following a module-level name bound to a literal."""
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup":
            value = next((k.value for k in node.keywords if k.arg == keyword), None)
            if isinstance(value, ast.Name):
                bound = [
                    n.value
                    for n in module.body
                    if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == value.id for t in n.targets)
                ]
                return bound[-1] if len(bound) == 1 else value
            return value
    return None


def _literal_list(module: ast.Module, keyword: str) -> list[str]:
    value = _setup_keyword(module, keyword)
    if isinstance(value, (ast.List, ast.Tuple)):
        return [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _literal_dict(module: ast.Module, keyword: str) -> dict[str, list[str]]:
    value = _setup_keyword(module, keyword)
    if not isinstance(value, ast.Dict):
        return {}
    found = {}
    for key, item in zip(value.keys, value.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(item, (ast.List, ast.Tuple)):
            found[str(key.value)] = [
                e.value for e in item.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return found


def _setup_py_target(tree: Path) -> Target | str | None:
    parsed = _setup_py(tree)
    if parsed is None:
        return "setup.py does not parse"
    text, module = parsed
    value = _setup_keyword(module, "install_requires")
    if isinstance(value, ast.List):
        return Target("setup.py", "setup.py")
    if value is None:
        return None  # setup.cfg may declare them
    files = [m for m in re.findall(r"['\"]([\w./-]+\.(?:txt|in))['\"]", text) if (tree / m).is_file()]
    if len(set(files)) == 1:
        return _requirements_target(tree, files[0])
    return "setup.py computes `install_requires` in a way autoheal does not edit"


def _add_to_setup_py(text: str, entry: str) -> str | None:
    module = ast.parse(text)
    value = _setup_keyword(module, "install_requires")
    if not isinstance(value, ast.List):
        return None
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        return starts[lineno - 1] + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    open_at = offset(value.lineno, value.col_offset) + 1
    close = offset(value.end_lineno or value.lineno, value.end_col_offset or 0) - 1
    new = _insert_entry(text, open_at, close, repr(entry).replace("'", '"'))
    before = _literal_list(module, "install_requires")
    return new if _literal_list(ast.parse(new), "install_requires") == [*before, entry] else None


def _setup_cfg(tree: Path) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string((tree / "setup.cfg").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return parser


def _setup_cfg_keys(tree: Path, section: str) -> list[str]:
    parser = _setup_cfg(tree)
    return list(parser[section]) if parser and parser.has_section(section) else []


def _setup_cfg_list(tree: Path, section: str, key: str) -> list[str]:
    parser = _setup_cfg(tree)
    if not parser or not parser.has_option(section, key):
        return []
    value = parser.get(section, key)
    return [] if value.strip().startswith("file:") else _requirement_lines(value)


def _setup_cfg_target(tree: Path) -> Target | str | None:
    parser = _setup_cfg(tree)
    if parser is None or not parser.has_option("options", "install_requires"):
        return None
    value = parser.get("options", "install_requires").strip()
    if value.startswith("file:"):
        files = [f.strip() for f in value[len("file:") :].split(",") if f.strip()]
        return _requirements_target(tree, files[0]) if files else "setup.cfg names no requirements file"
    return Target("setup.cfg", "setup.cfg")


def _add_to_setup_cfg(text: str, entry: str) -> str | None:
    """One more continuation line under `[options] install_requires =`, indented like its neighbours."""
    section = re.search(r"(?m)^\[options\]\s*$", text)
    if section is None:
        return None
    key = re.compile(r"(?m)^install_requires\s*=[^\n]*\n?").search(text, section.end())
    if key is None:
        return None
    end = key.end()
    continuation = re.compile(r"[ \t]+\S[^\n]*\n?")
    indent = "    "
    while (line := continuation.match(text, end)) is not None:
        indent = re.match(r"[ \t]+", line.group()).group()  # type: ignore[union-attr]
        end = line.end()
    prefix = text[:end] if text[:end].endswith("\n") else text[:end] + "\n"
    new = prefix + f"{indent}{entry}\n" + text[end:]
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(new)
    after = _requirement_lines(parser.get("options", "install_requires"))
    old = configparser.ConfigParser(interpolation=None)
    old.read_string(text)
    return new if after == [*_requirement_lines(old.get("options", "install_requires")), entry] else None
