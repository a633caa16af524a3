"""Writing a file into a directory that does not exist yet: create the directory first."""

from __future__ import annotations

import ast
from pathlib import Path

from autoheal.report import Report

from ..crash import exception_types
from . import source
from .fix import Fix

_PURE_CALLS = {("os.path", "join"), ("os.path", "expanduser"), ("", "str"), ("", "Path")}


def propose(report: Report, tree: Path) -> Fix | None:
    if exception_types(report)[0] != "FileNotFoundError":
        return None
    site = source.crash_site(report, tree)
    if site is None:
        return None
    text, module, lineno = site.text, site.module, site.lineno
    target = _written_path(module, lineno) if lineno else None
    statement = source.enclosing_statement(module, lineno) if target is not None else None
    if statement is None or not _starts_its_line(text, statement):
        return None
    expr = source.segment(text, source.span(target))
    indent = " " * statement.col_offset
    line = f'{indent}os.makedirs(os.path.dirname({expr}) or ".", exist_ok=True)\n'
    where = (statement.lineno, 0, statement.lineno, 0)
    patched = source.splice(text, [(where, line)])
    if not _imports_os(module):
        patched = source.splice(patched, [(_import_at(module), "import os\n")])
    rel = site.rel
    return Fix(
        pattern="missing-output-dir",
        title=f"Create the output directory before writing in {site.frame.function}",
        explanation=(
            f"`{rel}` opens `{expr}` for writing, and the directory it names does not exist "
            f"(`{report.exc_type}: {report.message}`).\n\n"
            "This patch creates the parent directory (`os.makedirs(..., exist_ok=True)`) just before the write."
        ),
        edits={rel: patched},
    )


def _written_path(module: ast.Module, lineno: int) -> ast.expr | None:
    """The path argument of the one `open(path, "w"/"a"/"x")` call on the line, if it is side-effect free."""
    opens = [
        n
        for n in ast.walk(module)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id == "open"
        and n.lineno <= lineno <= (n.end_lineno or n.lineno)
        and n.args
        and _writes(n)
    ]
    return opens[0].args[0] if len(opens) == 1 and _pure(opens[0].args[0]) else None


def _writes(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and bool(set(mode.value) & set("wax"))


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
