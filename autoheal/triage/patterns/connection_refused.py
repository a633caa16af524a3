"""A local service refused the connection (often: still starting): retry the call with bounded backoff.

The retry knows the client: a plain socket or `http.client` retries only `ConnectionRefusedError` (and an
`http.client` connection is closed before the next attempt, so it reconnects instead of refusing to send
on a half-used connection), requests retries only its `ConnectionError` (never a timeout or an HTTP
error), urllib only a `URLError` whose reason is a refused connection. A request that is not idempotent
(POST, PATCH, a body sent with urlopen) is never retried.
"""

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
def {HELPER_NAME}(call, attempts={ATTEMPTS}, first_delay={FIRST_DELAY}, reset=None):
    """Call `call()`, retrying with exponential backoff while a local service refuses connections."""
    for attempt in range(attempts):
        try:
            return call()
        except {{catch}} as error:
            if attempt == attempts - 1{{other}}:
                raise
            if reset is not None:
                reset()
            time.sleep(first_delay * 2 ** attempt)
'''
_UNSAFE_METHODS = {"post", "patch"}
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
    client = _client(report, module)
    if client is None or not _idempotent(call):
        return None
    catch, other, imports = client
    shown = source.segment(text, source.span(call))
    reset = _reset(call, report)
    wrapped = f"{HELPER_NAME}(lambda: {shown}" + (f", reset={reset}.close)" if reset else ")")
    patched = source.splice(text, [(source.span(call), wrapped)])
    helper = HELPER.replace("{catch}", catch).replace("{other}", other)
    patched = source.ensure_helper(patched, ast.parse(patched), HELPER_NAME, helper, ("time", *imports))
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


def _client(report: Report, module: ast.Module) -> tuple[str, str, tuple[str, ...]] | None:
    """(exception to catch, extra re-raise condition, imports the helper needs) for the failing client."""
    libraries = {f.module.split(".")[0] for f in report.frames if not f.in_app} | {
        report.exc_type.rsplit(".", 1)[0].split(".")[0]
    }
    imported = {a.name for n in ast.walk(module) if isinstance(n, ast.Import) for a in n.names}
    if "requests" in libraries:
        return ("requests.exceptions.ConnectionError", "", ()) if "requests" in imported else None
    if report.exc_type == "urllib.error.URLError":
        return "urllib.error.URLError", " or not isinstance(error.reason, ConnectionRefusedError)", ("urllib.error",)
    if report.exc_type == "ConnectionRefusedError":
        return "ConnectionRefusedError", "", ()
    return None


def _idempotent(call: ast.Call) -> bool:
    """Not a POST/PATCH (by method name or first argument) and no request body handed to urlopen."""
    name = _name(call.func).lower()
    if name in _UNSAFE_METHODS:
        return False
    literals = [a.value.lower() for a in call.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if name in ("request", "putrequest") and (not literals or literals[0] in _UNSAFE_METHODS):
        return False
    if name == "urlopen":
        inner = call.args[0] if call.args else None
        sends = len(call.args) > 1 or any(k.arg == "data" for k in call.keywords)
        if (
            sends
            or isinstance(inner, ast.Call)
            and (len(inner.args) > 1 or any(k.arg == "data" for k in inner.keywords))
        ):
            return False
    return True


def _reset(call: ast.Call, report: Report) -> str | None:
    """For an `http.client` connection `conn.request(...)`: `conn`, closed before each new attempt."""
    func = call.func
    if report.exc_type != "ConnectionRefusedError" or not any(f.module == "http.client" for f in report.frames):
        return None
    if _name(func) not in ("request", "getresponse", "connect", "endheaders", "send"):
        return None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return None


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
