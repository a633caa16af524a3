"""Writing a file into a directory that does not exist yet: create the directory first.

Writers: `open(path, "w"/"a"/"x")`, `Path.write_text`/`write_bytes`, `path.open("w")`, the destination of
`shutil.copy*`/`move`, `logging.FileHandler(path)` and `logging.basicConfig(filename=path)`. Only when the
path in the error is the one being written (a missing *input* is not fixed by creating a directory) and
its directory is absent from the repository.
"""

from __future__ import annotations

import ast
import posixpath
import re
from pathlib import Path

from autoheal.report import Report

from ..crash import exception_types, locate_dir
from . import source
from .fix import Fix

_PURE_CALLS = {("os.path", "join"), ("os.path", "expanduser"), ("", "str"), ("", "Path"), ("pathlib", "Path")}
_SHUTIL = {"copy", "copy2", "copyfile", "move"}
_MISSING = re.compile(r"No such file or directory: '([^']+)'$")


def propose(report: Report, tree: Path) -> Fix | None:
    if exception_types(report)[0] != "FileNotFoundError":
        return None
    missing = _MISSING.search(report.message)
    site = source.crash_site(report, tree)
    if site is None or site.lineno is None or missing is None:
        return None
    text, module, lineno = site.text, site.module, site.lineno
    path = missing.group(1)
    cwd = report.cwd.rstrip("/")
    path = path[len(cwd) + 1 :] if cwd and path.startswith(cwd + "/") else path  # writers that make it absolute
    target = _written_path(module, lineno)
    if target is None or not _names_missing_path(target, path):
        return None
    parent = posixpath.dirname(path)
    if not parent or posixpath.isabs(parent) or (locate_dir(tree, report.cwd) / parent).exists():
        return None  # the directory is there: the missing thing is a file, not an output directory
    statement = source.enclosing_statement(module, lineno)
    if statement is None or not _starts_its_line(text, statement):
        return None
    expr = source.segment(text, source.span(target))
    indent = " " * statement.col_offset
    line = f'{indent}os.makedirs(os.path.dirname({expr}) or ".", exist_ok=True)\n'
    where = (statement.lineno, 0, statement.lineno, 0)
    patched = source.splice(text, [(where, line)])
    if not _imports_os(module):
        patched = source.splice(patched, [(_import_at(module), "import os\n")])
    return Fix(
        pattern="missing-output-dir",
        title=f"Create the output directory before writing in {site.frame.function}",
        explanation=(
            f"`{site.rel}` writes `{expr}`, and the directory it names does not exist "
            f"(`{report.exc_type}: {report.message}`).\n\n"
            "This patch creates the parent directory (`os.makedirs(..., exist_ok=True)`) just before the write."
        ),
        edits={site.rel: patched},
    )


def _written_path(module: ast.Module, lineno: int) -> ast.expr | None:
    """The path of the one write on the line, if evaluating it twice is harmless."""
    found = [w for n in ast.walk(module) if isinstance(n, ast.Call) and _on(n, lineno) for w in _writes(n)]
    return found[0] if len(found) == 1 and _pure(found[0]) else None


def _writes(call: ast.Call) -> list[ast.expr]:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
    if isinstance(func, ast.Name) and name == "open" and call.args and _write_mode(call, 1):
        return [call.args[0]]
    if isinstance(func, ast.Attribute) and name in ("write_text", "write_bytes"):
        return [func.value]
    if (
        isinstance(func, ast.Attribute)
        and name == "open"
        and owner not in ("os", "io", "codecs")
        and _write_mode(call, 0)
    ):
        return [func.value]
    if owner == "shutil" and name in _SHUTIL and len(call.args) >= 2:
        return [call.args[1]]
    if name == "FileHandler" and call.args and owner in ("logging", "handlers", ""):
        return [call.args[0]]
    if owner == "logging" and name == "basicConfig":
        return [k.value for k in call.keywords if k.arg == "filename"]
    return []


def _write_mode(call: ast.Call, position: int) -> bool:
    mode = call.args[position] if len(call.args) > position else None
    mode = mode or next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and bool(set(mode.value) & set("wax"))


def _names_missing_path(target: ast.expr, missing: str) -> bool:
    """The error's path is the written one: equal to its value when that is known from the code, else at
    least not contradicted by it."""
    value = _static(target)
    return value is None or posixpath.normpath(value) == posixpath.normpath(missing)


def _static(expr: ast.expr) -> str | None:
    """The value of a path built only from literals (`"a/b"`, `os.path.join("a", "b")`, `Path("a") / "b"`)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        left, right = _static(expr.left), _static(expr.right)
        return posixpath.join(left, right) if left is not None and right is not None else None
    if isinstance(expr, ast.Call) and expr.args and not expr.keywords:
        name = ast.unparse(expr.func)
        parts = [_static(a) for a in expr.args]
        if any(p is None for p in parts):
            return None
        if name in ("os.path.join", "posixpath.join"):
            return posixpath.join(*[p for p in parts if p is not None])
        if name in ("Path", "pathlib.Path", "str", "PurePath") and len(parts) == 1:
            return parts[0]
    return None


def _on(node: ast.AST, lineno: int) -> bool:
    start = getattr(node, "lineno", 0)
    return bool(start) and start <= lineno <= (getattr(node, "end_lineno", None) or start)


def _pure(expr: ast.expr) -> bool:
    """Evaluating it twice is harmless: names, constants, f-strings, `/` and `+`, and a few pure calls."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            func = node.func
            owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (owner, name) not in _PURE_CALLS:
                return False
        elif isinstance(node, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom, ast.Lambda)):
            return False
    return True


def _starts_its_line(text: str, statement: ast.stmt) -> bool:
    line = text.splitlines()[statement.lineno - 1]
    return line[: statement.col_offset].strip() == ""


def _imports_os(module: ast.Module) -> bool:
    return any(isinstance(n, ast.Import) and any(a.name == "os" and not a.asname for a in n.names) for n in module.body)


def _import_at(module: ast.Module) -> source.Span:
    """The line after the leading docstring and imports, where a new top-level import goes."""
    line = source.after_imports(module) + 1
    return line, 0, line, 0
