"""Turn a live exception into a Report: everything a maintainer needs, before scrubbing."""

from __future__ import annotations

import linecache
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from .report import ChainedException, Frame, Report

ENV_ALLOWLIST = (
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_WORKFLOW",
    "GITHUB_REF",
    "GITHUB_SHA",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "RUNNER_OS",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TZ",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHASHSEED",
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "PYTHONDONTWRITEBYTECODE",
)
MAX_CHAIN = 10
MAX_FRAMES = 200  # a RecursionError has ~1000; its repeats say nothing more


def capture_exception(
    exc: BaseException,
    source: str = "cli-error",
    context: dict[str, Any] | None = None,
    *,
    max_log_lines: int = 100,
    env_allowlist: Iterable[str] = (),
) -> Report:
    """A full, unscrubbed report of `exc`; the pipeline scrubs and fingerprints it."""
    frames = frames_of(exc.__traceback__)
    chain = _chain(exc)
    return Report(
        source=source,
        exc_type=type_name(exc),
        message=_safe_str(exc),
        frames=frames,
        chain=chain,
        traceback_text=_traceback_text(exc),
        logs=_recent_logs(max_log_lines),
        argv=list(sys.argv),
        cwd=_cwd(),
        runtime={
            "implementation": _implementation(),
            "version": ".".join(map(str, sys.version_info[:3])),
            "executable": sys.executable,
        },
        platform=_platform(),
        packages=_packages([*frames, *(f for c in chain for f in c.frames)]),
        env=_env([*ENV_ALLOWLIST, *env_allowlist]),
        timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        trace_id=os.urandom(16).hex(),
        context=dict(context or {}),
        run_url=run_url(os.environ),
    )


def frames_of(tb: TracebackType | None) -> list[Frame]:
    """Outermost call first, like a printed traceback; past MAX_FRAMES (deep recursion) the middle is left out."""
    walked = list(traceback.walk_tb(tb))
    if len(walked) > MAX_FRAMES:
        walked = walked[: MAX_FRAMES // 2] + walked[-MAX_FRAMES // 2 :]
    return [_frame(frame, lineno) for frame, lineno in walked]


def type_name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def is_in_app(filename: str) -> bool:
    """False for the standard library, installed packages and frozen modules."""
    if filename.startswith("<"):
        return not filename.startswith("<frozen")
    path = os.path.abspath(filename)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return not any(path.startswith(d + os.sep) for d in _library_dirs())


def run_url(environ: Mapping[str, str]) -> str | None:
    """Link to the CI run (GitHub Actions) that crashed, when there is one."""
    server, repo, run = (environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run}" if server and repo and run else None


def _frame(frame: Any, lineno: int) -> Frame:
    code = frame.f_code
    filename = code.co_filename
    return Frame(
        module=str(frame.f_globals.get("__name__", "?")),
        function=getattr(code, "co_qualname", code.co_name),
        filename=filename,
        lineno=lineno,
        in_app=is_in_app(filename),
        context_line=linecache.getline(filename, lineno).strip() or None,
    )


def _chain(exc: BaseException) -> list[ChainedException]:
    """The causes of `exc`, nearest first, as Python prints them (bounded, cycle-safe)."""
    chain: list[ChainedException] = []
    seen = {id(exc)}
    current = exc
    while len(chain) < MAX_CHAIN:
        if current.__cause__ is not None:
            nxt, relation = current.__cause__, "cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            nxt, relation = current.__context__, "context"
        else:
            break
        if id(nxt) in seen:
            break
        seen.add(id(nxt))
        chain.append(ChainedException(type_name(nxt), _safe_str(nxt), frames_of(nxt.__traceback__), relation))
        current = nxt
    return chain


def _library_dirs() -> tuple[str, ...]:
    """The standard library (lib-dynload is inside it); installed packages are told by their directory name.

    From where `os` was loaded, not sysconfig, whose data module costs a crashing program milliseconds.
    """
    return (os.path.dirname(os.path.abspath(os.__file__)),)


def _recent_logs(count: int) -> list[str]:
    """The log ring buffer, which exists only once the program imported logging (boot attaches it then)."""
    if "logging" not in sys.modules:
        return []
    from . import logbuffer

    return logbuffer.recent(count)


def _implementation() -> str:
    return {"cpython": "CPython", "pypy": "PyPy"}.get(sys.implementation.name, sys.implementation.name)


def _platform() -> str:
    """What platform.platform() says (`Linux-6.1.0-amd64-x86_64-with-glibc2.36`), without its cost: it reads
    the interpreter's binary to find the C library and may run `uname -p`, at the moment a crash must be quick."""
    if not hasattr(os, "uname"):
        import platform

        return platform.platform()
    uname = os.uname()
    text = f"{uname.sysname}-{uname.release}-{uname.machine}"
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):
        libc = ""
    name, _, version = libc.partition(" ")
    return f"{text}-with-{name}{version}" if name and version else text


_DIST_INFO = re.compile(r"([A-Za-z0-9][A-Za-z0-9._]*?)-([0-9][^-]*?)\.(?:dist-info|egg-info)")


def _packages(frames: list[Frame]) -> dict[str, str]:
    """Versions of the distributions that own the modules on the stack.

    Read from the `NAME-VERSION.dist-info` directory names on sys.path (and a distribution's top_level.txt
    where its name is not its module's), not through importlib.metadata, whose imports (email, zipfile, csv...)
    would cost a crashing program more than all of the rest of the report.
    """
    tops = sorted({f.module.split(".")[0] for f in frames} - {"__main__", "?"})
    if not tops:
        return {}
    installed: dict[str, tuple[str, str, str]] = {}  # normalised name -> (name, version, directory)
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            match = _DIST_INFO.fullmatch(name)
            if match:
                installed.setdefault(_normalise(match.group(1)), (match.group(1), match.group(2), entry))
    versions: dict[str, str] = {}
    for top in tops:
        found = installed.get(_normalise(top)) or _owner_by_top_level(top, installed)
        if found:
            versions[found[0]] = found[1]
    return versions


def _owner_by_top_level(top: str, installed: dict[str, tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """The distribution whose top_level.txt names `top` (PyYAML for yaml), among those beside the module."""
    module = sys.modules.get(top)
    where = getattr(module, "__file__", None)
    if not where:
        return None
    site = os.path.dirname(os.path.dirname(where)) if where.endswith("__init__.py") else os.path.dirname(where)
    for name, version, entry in installed.values():
        if os.path.abspath(entry or ".") != site:
            continue
        for suffix in ("dist-info", "egg-info"):
            try:
                with open(os.path.join(entry, f"{name}-{version}.{suffix}", "top_level.txt"), encoding="utf-8") as f:
                    if top in f.read().split():
                        return name, version, entry
            except OSError:
                continue
    return None


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _env(allowlist: list[str]) -> dict[str, str]:
    return {name: os.environ[name] for name in sorted(set(allowlist)) if name in os.environ}


def _traceback_text(exc: BaseException) -> str:
    try:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:
        return f"{type_name(exc)}: {_safe_str(exc)}"


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the directory was deleted under the process
        return "?"
