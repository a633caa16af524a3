"""A local service refused the connection (often: still starting): retry the call with bounded backoff."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from autoheal.report import Report

from ..crash import exception_types, messages
from . import source
from .fix import Fix

ATTEMPTS, FIRST_DELAY = 6, 0.2  # 0.2+0.4+0.8+1.6+3.2 s: a daemon gets ~6 s to come up, then the error stands
HELPER_NAME = "_retry_connection"
HELPER = f'''
def {HELPER_NAME}(call, attempts={ATTEMPTS}, first_delay={FIRST_DELAY}):
    """Call `call()`, retrying with exponential backoff while a local service refuses connections."""
    for attempt in range(attempts):
        try:
            return call()
        except {{catch}}:
            if attempt == attempts - 1:
                raise
            time.sleep(first_delay * 2 ** attempt)
'''
_LOCAL = re.compile(r"localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|0\.0\.0\.0")
_HOSTS = re.compile(r"host='([^']+)'|//([^/:'\s]+)")


def propose(report: Report, tree: Path) -> Fix | None:
    types = exception_types(report)
    text_all = " ".join(messages(report))
    refused = "ConnectionRefusedError" in types or "Connection refused" in text_all
    if not refused or not _local_only(text_all):
        return None
    site = source.crash_site(report, tree)
    if site is None:
        return None
    text, module, lineno = site.text, site.module, site.lineno
    callee = report.frames[site.index + 1].function if site.index + 1 < len(report.frames) else ""
    call = _failing_call(module, lineno, callee) if lineno else None
    if call is None:
        return None
    catch = "ConnectionError" if types[0] == "ConnectionRefusedError" else "OSError"
    shown = source.segment(text, source.span(call))
    patched = source.splice(text, [(source.span(call), f"{HELPER_NAME}(lambda: {shown})")])
    helper = HELPER.replace("{catch}", catch)
    patched = source.ensure_helper(patched, ast.parse(patched), HELPER_NAME, helper, ("time",))
    rel = site.rel
    return Fix(
        pattern="connection-refused",
        title=f"Retry the connection to the local service in {site.frame.function}",
        explanation=(
            f"`{shown}` in `{rel}` failed with `{report.exc_type}: {report.message}`: nothing was listening yet. "
            "That is the usual race with a local daemon that is still starting.\n\n"
            f"This patch retries that call up to {ATTEMPTS} times with exponential backoff "
            f"({FIRST_DELAY} s doubling, about {FIRST_DELAY * (2 ** (ATTEMPTS - 1) - 1):.1f} s in all) on `{catch}`, "
            "then lets the original error through."
        ),
        edits={rel: patched},
    )


def _local_only(text: str) -> bool:
    """No host named, or only loopback ones: a remote service refusing is not a start-up race."""
    hosts = [a or b for a, b in _HOSTS.findall(text)]
    return all(_LOCAL.fullmatch(host) for host in hosts)


def _failing_call(module: ast.Module, lineno: int, callee: str) -> ast.Call | None:
    """The call on the crashing line that led into the failing frame: the one named like the callee,
    else the only outermost call. Awaited calls are left alone (retrying a coroutine object is wrong)."""
    awaited = {id(n.value) for n in ast.walk(module) if isinstance(n, ast.Await)}
    calls = [
        n
        for n in ast.walk(module)
        if isinstance(n, ast.Call) and n.lineno <= lineno <= (n.end_lineno or n.lineno) and id(n) not in awaited
    ]
    named = [c for c in calls if _name(c.func) == callee]
    if len(named) == 1:
        return named[0]
    outermost = [c for c in calls if not any(c is not o and _contains(o, c) for o in calls)]
    return outermost[0] if len(outermost) == 1 else None


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(node is inner for node in ast.walk(outer))
