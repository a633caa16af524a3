"""The gh shim: argv -> policy -> key -> tiers -> runner -> output.

This module is the hit path, so it imports the standard library only and nothing heavy
(no json, re, subprocess or hashlib); the miss path lives in `miss`. Any fault in caching falls
back to running the real gh untouched.
"""

from __future__ import annotations

import os
import sys
import time

from . import config, invalidation, keys, policy, runner, stats
from .entry import Entry
from .tiers.local import LocalStore

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from typing import TypeGuard


class Call:
    """Everything known about one cacheable invocation, handed from the hit path to the miss path."""

    __slots__ = ("settings", "real_gh", "args", "decision", "inputs", "key", "store")

    def __init__(
        self,
        settings: config.Settings,
        real_gh: str,
        args: list[str],
        decision: policy.Decision,
        inputs: keys.KeyInputs,
        key: str,
        store: LocalStore,
    ) -> None:
        self.settings = settings
        self.real_gh = real_gh
        self.args = args
        self.decision = decision
        self.inputs = inputs
        self.key = key
        self.store = store

    def usable(self, entry: Entry | None, now: float) -> TypeGuard[Entry]:
        """Fresh, and fetched after the last write that could have changed it."""
        if entry is None or not entry.fresh(now):
            return False
        return entry.created >= invalidation.last_write(
            self.settings.cache_dir, self.inputs.host, self.inputs.repo, self.decision.data_class or "api"
        )


def warn(message: str) -> None:
    try:
        os.write(2, f"ghcache: {message}\n".encode())
    except OSError:
        pass


def replay(entry: Entry) -> int:
    """Write what gh printed, byte for byte and in its order; a closed pipe ends us like gh (SIGPIPE)."""
    try:
        for fd, data in entry.segments():
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
    except BrokenPipeError:
        import signal

        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    return entry.exit_code


def pager_configured(env: dict | os._Environ, config_dir: str) -> bool:
    """gh pipes terminal output through a pager if one is set; we then let gh do it all."""
    for name in ("GH_PAGER", "PAGER"):
        if name in env:
            return env[name].strip() not in ("", "cat")
    try:
        with open(os.path.join(config_dir, "config.yml"), encoding="utf-8", errors="replace") as handle:
            return any(
                line.startswith("pager:") and line[6:].strip().strip("\"'") not in ("", "cat") for line in handle
            )
    except OSError:
        return False


def _terminal(stdout_tty: bool, stderr_tty: bool) -> keys.Terminal:
    width = None
    if stdout_tty:
        try:
            width = os.get_terminal_size(1).columns
        except OSError:
            width = None
    return keys.Terminal(stdout_tty, stderr_tty, width)


def _read_call(
    settings: config.Settings, decision: policy.Decision, args: list[str], real_gh: str, stdout_tty: bool
) -> Call | None:
    """The Call for a cacheable read, or None when this invocation must pass through."""
    env = os.environ
    if decision.action != "read" or not settings.enabled or env.get("GH_DEBUG") or env.get("DEBUG"):
        return None
    if stdout_tty and pager_configured(env, keys.gh_config_dir(env)):
        return None
    terminal = _terminal(stdout_tty, os.isatty(2))
    inputs = keys.build(decision, args, env, os.getcwd(), terminal, real_gh)
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
    # Everything went out through os.write and no file is open: interpreter teardown has nothing
    # left to do but costs about a millisecond or two.
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = list(sys.argv[1:] if argv is None else argv)
    real_gh = runner.find_real_gh(os.environ)
    if real_gh is None:
        warn("no real gh found on PATH (or GH_CACHE_REAL_GH points at a shim)")
        return 127
    try:
        settings = config.load(os.environ)
    except config.BadValue as error:
        warn(f"{error}; cache bypassed")
        runner.exec_real(real_gh, args)
    stdout_tty = os.isatty(1)
    decision = policy.decide(args, stdin_tty=os.isatty(0), stdout_tty=stdout_tty)
    if decision.action == "write":  # even with the cache off, so that later reads are not stale
        from .miss import run_write

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
