"""The gh shim: argv -> policy -> key -> tiers -> runner -> output.

This module is the hit path, so it imports the standard library only and nothing heavy (no json,
re, subprocess or hashlib, not even os: `fastos`); the miss path lives in `miss`, the write path in
`writes`. Any fault in caching falls back to running the real gh untouched.
"""

from __future__ import annotations

import sys
import time

from . import config, fastos, keys, policy, runner, stats
from .call import Call, replay, warn
from .tiers.local import LocalStore

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .decision import Decision


def pager_configured(env: Mapping[str, str], config_dir: str) -> bool:
    """gh pipes terminal output through a pager if one is set; we then let gh do it all."""
    for name in ("GH_PAGER", "PAGER"):
        if name in env:
            return env[name].strip() not in ("", "cat")
    return any(value not in ("", "cat") for value in keys.gh_settings(config_dir, "pager"))


def _terminal(stdout_tty: bool, stderr_tty: bool) -> keys.Terminal:
    width = None
    if stdout_tty:
        try:
            width = fastos.get_terminal_size(1).columns
        except OSError:
            width = None
    return keys.Terminal(stdout_tty, stderr_tty, width)


def _read_call(
    settings: config.Settings, decision: Decision, args: list[str], real_gh: str, stdout_tty: bool
) -> Call | None:
    """The Call for a cacheable read, or None when this invocation must pass through."""
    env = fastos.environ()
    if decision.action != "read" or not settings.enabled or env.get("GH_DEBUG") or env.get("DEBUG"):
        return None
    if stdout_tty and pager_configured(env, keys.gh_config_dir(env)):
        return None
    terminal = _terminal(stdout_tty, fastos.isatty(2))
    can_prompt = stdout_tty and fastos.isatty(0) and not env.get("GH_PROMPT_DISABLED")
    try:
        inputs = keys.build(decision, args, env, fastos.getcwd(), terminal, real_gh, can_prompt)
    except ValueError as error:
        from .gitctx import Ambiguous  # loaded already if it could have raised this

        if not isinstance(error, Ambiguous):
            raise
        return None  # which repo gh would act on is not certain: let gh decide, uncached
    return Call(settings, real_gh, args, decision, inputs, inputs.key(), LocalStore(settings.cache_dir))


def _hit(call: Call, started: float) -> None:
    """Replay a usable local entry and end the process; return only on a miss."""
    entry = call.store.get(call.key)
    if not call.usable(entry, call.settings.now()):
        return
    code = replay(entry)
    stats.record(
        call.settings.cache_dir,
        "hit",
        "local",
        len(entry.stdout) + len(entry.stderr),
        (time.perf_counter() - started) * 1000,
    )
    # Everything went out through unbuffered writes and no file is open but the bundle, which needs no
    # closing: interpreter teardown has nothing left to do but costs about a millisecond or two.
    fastos._exit(code)


def _warn_once(settings: config.Settings, name: str) -> None:
    """A misspelt GH_CACHE_* variable is pointed out once per cache, not on every call."""
    from .tiers.local import make_private_dirs

    marks = fastos.join(settings.cache_dir, "notices")
    try:
        make_private_dirs(marks)
        fastos.close(
            fastos.open(
                fastos.join(marks, name), fastos.O_WRONLY | fastos.O_CREAT | fastos.O_EXCL | fastos.O_NOFOLLOW, 0o600
            )
        )
    except FileExistsError:
        return  # said before
    except OSError:
        pass  # no cache to remember it in: one line on every call, still just one line
    warn(config.misspelling_notice(name))


def _hold_closed_standard_fds() -> None:
    """Put a read-only placeholder on a closed stdin, stdout or stderr (`gh ... >&-`).

    Otherwise the next file the shim opens (a lock, the stats log, an entry) would land there, and gh's
    output, teed to "stdout", would be written into it. The placeholder fails writes just as a closed
    descriptor does (EBADF), and closes on exec (O_CLOEXEC), so gh still finds it closed."""
    for fd in (0, 1, 2):
        try:
            fastos.fstat(fd)
        except OSError:
            fastos.open("/dev/null", fastos.O_RDONLY | fastos.O_CLOEXEC)  # the lowest free descriptor: fd


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    _hold_closed_standard_fds()
    args = list(sys.argv[1:] if argv is None else argv)
    env = fastos.environ()
    real_gh = runner.find_real_gh(env)
    problem = runner.configured_gh_problem(env) if "GH_CACHE_REAL_GH" in env else None
    if real_gh is None:
        warn(f"{problem or 'no real gh found on PATH'}; no gh to run")
        return 127
    if problem:
        warn(f"{problem}; running {real_gh}")
    try:
        settings = config.load(env)
    except config.BadValue as error:
        warn(f"{error}; cache bypassed")
        runner.exec_real(real_gh, args)
    for name in config.unknown_settings(env):
        _warn_once(settings, name)
    stdout_tty = fastos.isatty(1)
    decision = policy.decide(args, stdin_tty=fastos.isatty(0), stdout_tty=stdout_tty)
    if decision.action == "write":  # even with the cache off, so that later reads are not stale
        from .writes import run_write

        return run_write(settings, real_gh, args, decision)
    try:
        call = _read_call(settings, decision, args, real_gh, stdout_tty)
        if call is not None and not settings.refresh:
            _hit(call, started)
    except (OSError, ValueError) as error:  # the cache is broken; gh is not
        warn(f"cache unavailable ({error}); running gh directly")
        call = None
    if call is None:
        runner.exec_real(real_gh, args)
    from .miss import handle_miss

    return handle_miss(call)
