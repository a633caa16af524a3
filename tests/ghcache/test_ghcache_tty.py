"""On a terminal the shim must print exactly what the real gh prints on that terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios

import pytest
from ghrig import GhRig


def _run_on_pty(rig: GhRig, args: tuple[str, ...], *, shim: bool, columns: int) -> tuple[bytes, int]:
    """Run with stdout and stderr on a fresh pty of `columns` width; returns what the terminal received."""
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**rig.env, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    from support import REAL_GH, ROOT

    program = str(ROOT / "shims" / "gh") if shim else REAL_GH
    process = subprocess.Popen(
        [program, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=child_fd,
        stderr=child_fd,
        cwd=rig.home,
        close_fds=True,
    )
    os.close(child_fd)
    output = bytearray()
    while True:
        ready, _, _ = select.select([main_fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(main_fd)
    return bytes(output), process.wait(timeout=30)


@pytest.mark.parametrize(
    "args",
    [("issue", "list", "-R", "octo/hello"), ("repo", "view", "octo/hello"), ("pr", "view", "1", "-R", "octo/hello")],
    ids=lambda a: " ".join(a[:2]),
)
def test_terminal_output_equals_uncached_terminal_output(rig: GhRig, args: tuple[str, ...]) -> None:
    direct, code = _run_on_pty(rig, args, shim=False, columns=97)
    assert code == 0 and b"\x1b[" in direct  # colours: gh really saw a terminal
    rig.hub.clear_requests()
    miss, miss_code = _run_on_pty(rig, args, shim=True, columns=97)
    assert rig.calls() >= 1
    rig.hub.clear_requests()
    hit, hit_code = _run_on_pty(rig, args, shim=True, columns=97)
    assert rig.calls() == 0
    assert (miss, miss_code) == (direct, 0)
    assert (hit, hit_code) == (direct, 0)


def test_width_and_ttyness_are_part_of_the_key(rig: GhRig) -> None:
    args = ("issue", "list", "-R", "octo/hello")
    _run_on_pty(rig, args, shim=True, columns=97)
    rig.hub.clear_requests()
    narrow, _ = _run_on_pty(rig, args, shim=True, columns=60)
    assert rig.calls() >= 1
    direct_narrow, _ = _run_on_pty(rig, args, shim=False, columns=60)
    assert narrow == direct_narrow
    rig.hub.clear_requests()
    piped = rig.run(*args)
    assert rig.calls() >= 1 and b"\x1b[" not in piped.stdout
