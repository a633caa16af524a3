"""Finding and running the real gh: the only place that spawns it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence

SHIM_MARKER = b"ghcache-shim"


def _is_shim(path: str) -> bool:
    """Our launcher carries a marker in its first bytes; the real gh is a large binary without it."""
    try:
        with open(path, "rb") as handle:
            return SHIM_MARKER in handle.read(512)
    except OSError:
        return True


def find_real_gh(env: Mapping[str, str]) -> str | None:
    """GH_CACHE_REAL_GH, else the first `gh` on PATH that is not a ghcache shim (so we never recurse)."""
    configured = env.get("GH_CACHE_REAL_GH")
    if configured:
        return configured if os.access(configured, os.X_OK) and not _is_shim(configured) else None
    for directory in env.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", "gh")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK) and not _is_shim(candidate):
            return candidate
    return None


def exec_real(real_gh: str, argv: Sequence[str]) -> None:
    """Become the real gh: pass-through costs nothing after this point."""
    os.execv(real_gh, [real_gh, *argv])


@dataclass
class Result:
    stdout: bytes
    stderr: bytes
    exit_code: int


def run(real_gh: str, argv: Sequence[str], env: Mapping[str, str], *, tee: bool) -> Result:
    """Run gh capturing stdout and stderr; with `tee`, the user sees them as they arrive."""
    import subprocess
    import threading

    process = subprocess.Popen([real_gh, *argv], env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    captured: dict[int, bytearray] = {1: bytearray(), 2: bytearray()}

    def pump(source, fd: int) -> None:
        broken = False
        for chunk in iter(lambda: os.read(source.fileno(), 65536), b""):
            captured[fd] += chunk
            if tee and not broken:
                broken = not _write_all(fd, chunk)

    threads = [threading.Thread(target=pump, args=(process.stdout, 1), daemon=True),
               threading.Thread(target=pump, args=(process.stderr, 2), daemon=True)]
    for thread in threads:
        thread.start()
    code = _wait(process)
    for thread in threads:
        thread.join()
    return Result(bytes(captured[1]), bytes(captured[2]), code)


def _wait(process) -> int:
    """gh's exit code as a shell reports it; Ctrl-C reaches gh too, and gh decides what it means."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return 128 - code if code < 0 else code


def _write_all(fd: int, data: bytes) -> bool:
    """False when the reader went away (a closed pipe): keep capturing, stop writing."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:
        return False
    return True


def call(real_gh: str, argv: Sequence[str]) -> int:
    """Run gh with the user's own streams (writes): nothing captured, nothing changed."""
    import subprocess

    return _wait(subprocess.Popen([real_gh, *argv]))


# Markers of failures that say nothing about the data: the network, GitHub's side, or a rate limit.
TRANSIENT_MARKERS = (
    "HTTP 500", "HTTP 502", "HTTP 503", "HTTP 504", "HTTP 429", "rate limit", "error connecting to",
    "dial tcp", "connection refused", "no such host", "i/o timeout", "TLS handshake timeout",
    "connection reset", "timeout awaiting", "Client.Timeout", "Service Unavailable", "Bad Gateway",
)


def is_transient_failure(result: Result) -> bool:
    text = result.stderr.decode("utf-8", "replace")
    return result.exit_code != 0 and any(marker.lower() in text.lower() for marker in TRANSIENT_MARKERS)
