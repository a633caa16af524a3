"""`os.environ["NAME"]` raised KeyError: replace the bare traceback by an error that names the variable."""

from __future__ import annotations

import ast
from pathlib import Path

from autoheal.report import Report

from ..crash import exception_types
from . import source
from .fix import Fix

HELPER_NAME = "_require_env"
HELPER = f'''
def {HELPER_NAME}(name):
    """The value of a required environment variable; exits with a message naming it when unset."""
    try:
        return os.environ[name]
    except KeyError:
        raise SystemExit(f"error: the environment variable {{name}} is required but not set") from None
'''


def propose(report: Report, tree: Path) -> Fix | None:
    if exception_types(report)[0] != "KeyError":
        return None
    site = source.crash_site(report, tree)
    if site is None:
        return None
    text, module, lineno = site.text, site.module, site.lineno
    name = _variable(module, lineno, report.message) if lineno else None
    if name is None:
        return None
    uses = [node for node in _environ_reads(module) if node.slice.value == name]
    calls = [(source.span(n), f"{HELPER_NAME}({source.segment(text, source.span(n.slice))})") for n in uses]
    patched = source.splice(text, calls)
    patched = source.ensure_helper(patched, ast.parse(patched), HELPER_NAME, HELPER, ("os",))
    rel = site.rel
    return Fix(
        pattern="missing-env-var",
        title=f"Explain a missing {name} environment variable instead of crashing",
        explanation=(
            f"`{rel}` reads `os.environ[{name!r}]`; when the variable is unset the program dies with a bare "
            f"`KeyError: {name!r}` traceback that does not say what the user must do.\n\n"
            f"This patch reads it through `{HELPER_NAME}()`, which exits with "
            f"`error: the environment variable {name} is required but not set` (exit status 1)."
        ),
        edits={rel: patched},
        clean_exit_naming=name,
    )


def _variable(module: ast.Module, lineno: int, message: str) -> str | None:
    """The variable read on the crashing line: the one the KeyError names, or the only one there."""
    names = [n.slice.value for n in _environ_reads(module) if n.lineno <= lineno <= (n.end_lineno or n.lineno)]
    named = [n for n in names if repr(n) == message or n == message.strip("'\"")]
    if named:
        return named[0]
    return names[0] if len(set(names)) == 1 else None


def _environ_reads(module: ast.Module) -> list[ast.Subscript]:
    """`os.environ["X"]` (or `environ["X"]`) subscripts that read, with a literal name."""
    return [
        node
        for node in ast.walk(module)
        if isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and _is_environ(node.value)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ]


def _is_environ(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"
