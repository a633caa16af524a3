"""A required environment variable is unset: replace the bare traceback by an error that names it.

Two shapes: `os.environ["NAME"]` raising `KeyError: 'NAME'`, and `os.getenv("NAME")` /
`os.environ.get("NAME")` returning None that the crashing line then uses (`int(None)`, `None.split`,
`None + "..."`), directly or through a local variable assigned from it once. Wherever it happens:
functions, `__init__` or the body of a configuration class. A `KeyError` from any other mapping, or a None
that may come from somewhere else on the line, is not this pattern.
"""

from __future__ import annotations

import ast
import re
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
_NONE_ATTRIBUTE = re.compile(r"'NoneType' object has no attribute '(\w+)'")
_CONVERTERS = {"int", "float", "Path", "open", "bool", "Decimal", "urlparse", "loads", "fromisoformat"}


def propose(report: Report, tree: Path) -> Fix | None:
    kind = exception_types(report)[0]
    if kind not in ("KeyError", "TypeError", "AttributeError"):
        return None
    site = source.crash_site(report, tree)
    if site is None or site.lineno is None:
        return None
    if kind == "KeyError":
        found = _subscript_read(site.module, site.lineno, report.message)
    elif "NoneType" in report.message:
        found = _none_read(site.module, site.lineno, report.message)
    else:
        found = None
    if found is None:
        return None
    name, reads = found
    text = site.text
    edits = [(source.span(n), f"{HELPER_NAME}({source.segment(text, source.span(_name_arg(n)))})") for n in reads]
    patched = source.splice(text, edits)
    patched = source.ensure_helper(patched, ast.parse(patched), HELPER_NAME, HELPER, ("os",))
    how = "`os.environ[...]`" if kind == "KeyError" else "`os.getenv(...)`, which returns None when it is unset,"
    return Fix(
        pattern="missing-env-var",
        title=f"Explain a missing {name} environment variable instead of crashing",
        explanation=(
            f"`{site.rel}` reads the environment variable `{name}` with {how} and the program dies with "
            f"`{report.exc_type}: {report.message}`, a traceback that does not say what the user must do.\n\n"
            f"This patch reads it through `{HELPER_NAME}()`, which exits with "
            f"`error: the environment variable {name} is required but not set` (exit status 1)."
        ),
        edits={site.rel: patched},
        clean_exit_naming=name,
    )


def _subscript_read(module: ast.Module, lineno: int, message: str) -> tuple[str, list[ast.expr]] | None:
    """The `os.environ["NAME"]` on the line whose name the KeyError gives, and every such read of it."""
    on_line = [n for n in _environ_subscripts(module) if _covers(n, lineno)]
    named = [n for n in on_line if repr(_literal(n.slice)) == message.strip() or _literal(n.slice) == message]
    if not named:
        return None
    name = _literal(named[0].slice)
    return name, [n for n in _environ_subscripts(module) if _literal(n.slice) == name]


def _none_read(module: ast.Module, lineno: int, message: str) -> tuple[str, list[ast.expr]] | None:
    """The one `getenv` whose None the crashing line used, directly or through a variable bound once."""
    line_nodes = [n for n in ast.walk(module) if isinstance(n, ast.expr) and _covers(n, lineno)]
    direct = [n for n in line_nodes if isinstance(n, ast.Call) and _getenv_name(n)]
    other_reads = [n for n in line_nodes if isinstance(n, ast.Call) and _method(n) == "get" and n not in direct]
    if len(direct) > 1 or other_reads:
        return None  # another None may be the one that crashed
    used = _used_as_value(line_nodes, message)
    if direct:
        call = direct[0]
        if not any(u is call for u in used):
            return None
        return _getenv_name(call) or "", [call]
    names = {u.id for u in used if isinstance(u, ast.Name)}
    if len(names) != 1:
        return None
    bound = _single_binding(module, names.pop(), lineno)
    return (_getenv_name(bound) or "", [bound]) if bound is not None else None


def _used_as_value(nodes: list[ast.expr], message: str) -> list[ast.expr]:
    """Expressions on the line used where None fails: `x.attr` (the attribute the error names), an argument
    of a converting call, an operand of an arithmetic or `+` operation."""
    attribute = _NONE_ATTRIBUTE.search(message)
    used: list[ast.expr] = []
    for node in nodes:
        if isinstance(node, ast.Attribute) and attribute and node.attr == attribute.group(1):
            used.append(node.value)
        elif not attribute and isinstance(node, ast.Call) and _method(node) in _CONVERTERS and node.args:
            used.append(node.args[0])
        elif not attribute and isinstance(node, ast.BinOp):
            used += [node.left, node.right]
    return used


def _single_binding(module: ast.Module, name: str, lineno: int) -> ast.Call | None:
    """The `name = os.getenv("X")` before `lineno`, when that is the only assignment to `name` in its scope."""
    scope = _scope_of(module, lineno)
    assigns = [
        n
        for n in ast.walk(scope)
        if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With, ast.NamedExpr))
        and any(isinstance(t, ast.Name) and t.id == name for t in _targets(n))
    ]
    if len(assigns) != 1 or assigns[0].lineno >= lineno:
        return None
    value = getattr(assigns[0], "value", None)
    return value if isinstance(value, ast.Call) and _getenv_name(value) else None


def _scope_of(module: ast.Module, lineno: int) -> ast.AST:
    functions = [
        n
        for n in ast.walk(module)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and _covers(n, lineno)
    ]
    return max(functions, key=lambda n: n.lineno, default=module)


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return [t for target in node.targets for t in ast.walk(target) if isinstance(t, ast.expr)]
    target = getattr(node, "target", None)
    return [t for t in ast.walk(target) if isinstance(t, ast.expr)] if isinstance(target, ast.expr) else []


def _getenv_name(call: ast.Call) -> str | None:
    """NAME for `os.getenv("NAME")` or `os.environ.get("NAME")` with no default (or a None default)."""
    func = call.func
    is_getenv = isinstance(func, ast.Attribute) and func.attr == "getenv" and _is_name(func.value, "os")
    is_getenv = is_getenv or isinstance(func, ast.Name) and func.id == "getenv"
    is_get = isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value)
    if not (is_getenv or is_get) or not call.args or call.keywords:
        return None
    if (
        len(call.args) > 2
        or len(call.args) == 2
        and not (isinstance(call.args[1], ast.Constant) and call.args[1].value is None)
    ):
        return None
    return _literal(call.args[0]) or None


def _name_arg(node: ast.expr) -> ast.expr:
    return node.slice if isinstance(node, ast.Subscript) else node.args[0] if isinstance(node, ast.Call) else node


def _environ_subscripts(module: ast.Module) -> list[ast.Subscript]:
    """`os.environ["X"]` (or `environ["X"]`) subscripts that read, with a literal name."""
    return [
        node
        for node in ast.walk(module)
        if isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and _is_environ(node.value)
        and _literal(node.slice)
    ]


def _literal(node: ast.expr) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def _method(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _covers(node: ast.AST, lineno: int) -> bool:
    start = getattr(node, "lineno", 0)
    return bool(start) and start <= lineno <= (getattr(node, "end_lineno", None) or start)


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_environ(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and _is_name(node.value, "os")
    return _is_name(node, "environ")
