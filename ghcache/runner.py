"""Finding and running the real gh: the only place that spawns it."""

from __future__ import annotations

from . import fastos

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping, Sequence
    from typing import NoReturn

SHIM_MARKER = b"ghcache-shim"


def _is_shim(path: str) -> bool:
    """Our launcher carries a marker in its first bytes; the real gh is a large binary without it."""
    try:
        with open(path, "rb") as handle:
            return SHIM_MARKER in handle.read(512)
    except OSError:
        return True


def configured_gh_problem(env: Mapping[str, str]) -> str | None:
    """Why GH_CACHE_REAL_GH cannot be used (then the PATH is searched instead); None when it can."""
    configured = env.get("GH_CACHE_REAL_GH")
    if not configured:
        return None
    if not (fastos.isfile(configured) and fastos.access(configured, fastos.X_OK)):
        return f"GH_CACHE_REAL_GH={configured!r} is not an executable file"
    if _is_shim(configured):
        return f"GH_CACHE_REAL_GH={configured!r} is a ghcache shim, not gh"
    return None


def find_real_gh(env: Mapping[str, str]) -> str | None:
    """GH_CACHE_REAL_GH when usable, else the first `gh` on PATH that is not a ghcache shim (so we never
    recurse)."""
    configured = env.get("GH_CACHE_REAL_GH")
    if configured and configured_gh_problem(env) is None:
        return configured
    for directory in env.get("PATH", fastos.defpath).split(fastos.pathsep):
        candidate = fastos.join(directory or ".", "gh")
        if fastos.isfile(candidate) and fastos.access(candidate, fastos.X_OK) and not _is_shim(candidate):
            return candidate
    return None


def exec_real(real_gh: str, argv: Sequence[str]) -> NoReturn:
    """Become the real gh: pass-through costs nothing after this point."""
    fastos.execv(real_gh, [real_gh, *argv])


class Result:
    """What one run of gh printed, and in which order its writes to the two streams arrived."""

    __slots__ = ("stdout", "stderr", "exit_code", "segments", "oversized", "broken_pipe")

    def __init__(self, stdout: bytes, stderr: bytes, exit_code: int, segments: list[tuple[int, int]]) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.exit_code = exit_code
        self.segments = segments
        self.oversized = False  # more than the capture limit: streamed to the user, not kept
        self.broken_pipe = False  # the user's reader went away while we wrote to it


def _terminal_like(fd: int) -> tuple[int, int]:
    """A pty pair shaped like the user's terminal on `fd` (same size), with output processing off so
    we read exactly the bytes gh wrote; the user's own terminal translates them when we write them."""
    import fcntl
    import pty
    import termios

    main_fd, child_fd = pty.openpty()
    try:
        fcntl.ioctl(child_fd, termios.TIOCSWINSZ, fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        pass
    attrs = termios.tcgetattr(child_fd)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(child_fd, termios.TCSANOW, attrs)
    return main_fd, child_fd


def run(real_gh: str, argv: Sequence[str], env: Mapping[str, str], *, tee: bool, limit: int = 1 << 62) -> Result:
    """Run gh capturing stdout and stderr; with `tee`, the user sees them as they arrive.

    A stream that is a terminal is given to gh as a pty of the same size, so gh renders exactly what it
    would render there (colours, widths, progress) and the capture can be replayed on such a terminal.
    Past `limit` bytes nothing more is kept (memory stays bounded): what was held back is written out
    in order and the rest streams through; the result is then `oversized` and must not be stored.
    """
    import subprocess
    import threading

    sources: dict[int, int] = {}
    child_ends: dict[int, int] = {}
    for fd in (1, 2):
        if fastos.isatty(fd):
            sources[fd], child_ends[fd] = _terminal_like(fd)
    process = subprocess.Popen(
        [real_gh, *argv],
        env=dict(env),
        stdout=child_ends.get(1, subprocess.PIPE),
        stderr=child_ends.get(2, subprocess.PIPE),
    )
    for child_fd in child_ends.values():
        fastos.close(child_fd)
    for fd, pipe in ((1, process.stdout), (2, process.stderr)):
        if pipe is not None:
            sources[fd] = pipe.fileno()
    captured: dict[int, bytearray] = {1: bytearray(), 2: bytearray()}
    segments: list[tuple[int, int]] = []
    order_lock = threading.Lock()
    state = {"tee": tee, "oversized": False, "broken": False, "total": 0}

    def spill() -> bool:
        """Over the limit: write out what was held back (the last chunk too), in gh's order, and keep
        nothing from now on. True when the last chunk went out here."""
        held_back = not state["tee"]
        if held_back:
            offsets = {1: 0, 2: 0}
            for out_fd, length in segments:
                if not write_all(out_fd, captured[out_fd][offsets[out_fd] : offsets[out_fd] + length]):
                    state["broken"] = True
                offsets[out_fd] += length
        captured[1].clear()
        captured[2].clear()
        segments.clear()
        state.update(tee=True, oversized=True)
        return held_back

    def pump(fd: int) -> None:
        while True:
            try:
                chunk = fastos.read(sources[fd], 65536)
            except OSError:  # EIO: gh closed its end of the pty
                chunk = b""
            if not chunk:
                break
            with order_lock:
                if not state["oversized"]:
                    captured[fd] += chunk
                    segments.append((fd, len(chunk)))
                    state["total"] += len(chunk)
                    if state["total"] > limit and spill():
                        continue
                teeing = state["tee"] and not state["broken"]
            if teeing and not write_all(fd, chunk):
                state["broken"] = True

    threads = [threading.Thread(target=pump, args=(fd,), daemon=True) for fd in (1, 2)]
    for thread in threads:
        thread.start()
    code = _wait(process)
    for thread in threads:
        thread.join()
    for fd in (1, 2):
        if fd in child_ends:
            fastos.close(sources[fd])
    result = Result(bytes(captured[1]), bytes(captured[2]), code, segments)
    result.oversized = bool(state["oversized"])
    result.broken_pipe = bool(state["broken"])
    return result


def _wait(process: subprocess.Popen[bytes]) -> int:
    """gh's exit code as a shell reports it; Ctrl-C reaches gh too, and gh decides what it means."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code: int = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return 128 - code if code < 0 else code


def write_all(fd: int, data: bytes | bytearray) -> bool:
    """False when the reader went away (a closed pipe): keep capturing, stop writing.

    Output to a closed descriptor (`gh ... >&-`) is dropped, as gh drops its own (it ignores EBADF and
    exits as it would have): it is no reason to stop, to warn, or to end like a closed pipe."""
    view = memoryview(data)
    try:
        while view:
            view = view[fastos.write(fd, view) :]
    except BrokenPipeError:
        return False
    except OSError as error:
        from errno import EBADF  # built in: no file to load

        if error.errno != EBADF:
            raise
    return True


FORWARDED_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")


def call(real_gh: str, argv: Sequence[str]) -> int:
    """Run gh with the user's own streams (writes): nothing captured, nothing changed.

    A signal meant for us (SIGTERM, SIGINT, SIGHUP, SIGQUIT) is passed on to gh and we wait for gh to
    finish, so whatever the caller does after a write (record it) still happens.
    """
    import signal
    import subprocess

    process = subprocess.Popen([real_gh, *argv])

    def forward(signum: int, _frame: object) -> None:
        try:
            process.send_signal(signum)
        except OSError:
            pass

    signums = [getattr(signal, name) for name in FORWARDED_SIGNALS]
    previous = {signum: signal.signal(signum, forward) for signum in signums}
    try:
        code = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code


# Markers of failures that say nothing about the data: the network, GitHub's side, or a rate limit.
TRANSIENT_MARKERS = (
    "HTTP 500",
    "HTTP 502",
    "HTTP 503",
    "HTTP 504",
    "HTTP 429",
    "rate limit",
    "error connecting to",
    "dial tcp",
    "connection refused",
    "no such host",
    "i/o timeout",
    "TLS handshake timeout",
    "connection reset",
    "timeout awaiting",
    "Client.Timeout",
    "Service Unavailable",
    "Bad Gateway",
)


def is_transient_failure(result: Result) -> bool:
    text = result.stderr.decode("utf-8", "replace")
    return result.exit_code != 0 and any(marker.lower() in text.lower() for marker in TRANSIENT_MARKERS)
