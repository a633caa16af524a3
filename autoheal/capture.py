"""Turn a live exception into a Report: everything a maintainer needs, before scrubbing."""

from __future__ import annotations

import linecache
import os
import platform
import sys
import sysconfig
import traceback
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

from . import logbuffer
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
        logs=logbuffer.recent(max_log_lines),
        argv=list(sys.argv),
        cwd=_cwd(),
        runtime={
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
            "executable": sys.executable,
        },
        platform=platform.platform(),
        packages=_packages([*frames, *(f for c in chain for f in c.frames)]),
        env=_env([*ENV_ALLOWLIST, *env_allowlist]),
        timestamp=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        trace_id=uuid.uuid4().hex,
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
    paths = sysconfig.get_paths()
    keys = ("stdlib", "platstdlib", "purelib", "platlib")
    return tuple({os.path.abspath(paths[k]) for k in keys if k in paths})


def _packages(frames: list[Frame]) -> dict[str, str]:
    """Versions of the distributions that own the modules on the stack."""
    from importlib import metadata

    tops = {f.module.split(".")[0] for f in frames}
    owners = metadata.packages_distributions()
    versions: dict[str, str] = {}
    for top in sorted(tops):
        for dist in owners.get(top, []):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
    return versions


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
