"""gh on a terminal: one invocation with stdin, stdout and stderr on a fresh pty, and whether gh asked.

gh prompts only where it can (stdin and stdout terminals, prompts not disabled), and a prompt is gh
waiting for the user: nothing is typed here, so gh asking is seen as gh blocked on the terminal, as
the kernel reports it. Either a thread of gh sits in read(2) on a descriptor that is this terminal
(`/proc/PID/task/*/syscall`) at two polls in a row, or gh holds the terminal out of canonical mode
(ICANON off: keys read one by one, as a survey-style question does) for RAW_WAIT_S while writing
nothing; either only while no input waits unread on the terminal (TIOCINQ). The terminal answers
what a terminal emulator answers (background and foreground colour, cursor position, device
attributes), as gh's renderer asks for them in raw mode and would otherwise wait for a reply that no
user would ever see. The run ends as soon as gh asked or exited, or at the
bound (then it still runs: not a read either). The pty is gh's controlling terminal (`setsid
--ctty`), as a user's terminal is.
"""

from __future__ import annotations

import fcntl
import os
import platform
import pty
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROWS, COLUMNS = 40, 120
POLL_S = 0.05
RAW_WAIT_S = 2.0  # raw mode held this long, quiet and with every query answered: gh waits for a key
# What a terminal emulator answers (xterm's replies; a black background, the cursor at the top left).
REPLIES = {
    b"\x1b]11;?": b"\x1b]11;rgb:0000/0000/0000\x1b\\",
    b"\x1b]10;?": b"\x1b]10;rgb:ffff/ffff/ffff\x1b\\",
    b"\x1b[6n": b"\x1b[1;1R",
    b"\x1b[c": b"\x1b[?62;22c",
    b"\x1b[0c": b"\x1b[?62;22c",
}
_LONGEST_QUERY = max(len(query) for query in REPLIES)
# read(2)'s number per architecture (the syscall file names the call by number).
_READ_SYSCALL = {"x86_64": 0, "amd64": 0, "aarch64": 63, "arm64": 63, "riscv64": 63, "i686": 3, "armv7l": 3}
READ_SYSCALL = _READ_SYSCALL.get(platform.machine().lower())
SETSID = shutil.which("setsid")


@dataclass
class TerminalRun:
    """How one run on the terminal ended: exited (exit_code), asked (prompted says how) or ran past the bound."""

    exit_code: int | None
    prompted: str
    output: bytes


def terminal_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment of a user at a terminal: prompts allowed, colours on, a TERM gh knows."""
    on_terminal = {name: value for name, value in env.items() if name not in ("GH_PROMPT_DISABLED", "NO_COLOR")}
    on_terminal.update({"TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)})
    return on_terminal


def _reading_terminal(pid: int, tty: str) -> bool:
    """Some thread of `pid` is blocked in read(2) on a descriptor that is the terminal `tty`."""
    if READ_SYSCALL is None:
        return False
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for task in tasks:
        try:
            words = Path(f"/proc/{pid}/task/{task}/syscall").read_text().split()
        except OSError:
            continue
        if len(words) < 2 or words[0] != str(READ_SYSCALL):
            continue
        try:
            if os.readlink(f"/proc/{pid}/fd/{int(words[1], 16)}") == tty:
                return True
        except (OSError, ValueError):
            continue
    return False


def _pending(child_fd: int) -> int:
    """Bytes typed (here: replies to queries) that gh has not read yet: gh is not waiting while there are any."""
    return struct.unpack("i", fcntl.ioctl(child_fd, termios.TIOCINQ, b"\0" * 4))[0]


def _raw(child_fd: int) -> bool:
    try:
        return not termios.tcgetattr(child_fd)[3] & termios.ICANON
    except termios.error:
        return False


def answer_queries(main_fd: int, output: bytearray, scanned: int) -> int:
    """Reply to each terminal query in the output since `scanned`; returns the new scan position."""
    start = max(0, scanned - _LONGEST_QUERY + 1)
    found = sorted(
        (at, query) for query in REPLIES for at in _find_all(output, query, start) if at + len(query) > scanned
    )
    for _at, query in found:
        os.write(main_fd, REPLIES[query])
    return len(output)


def _find_all(data: bytearray, needle: bytes, start: int) -> list[int]:
    found = []
    at = data.find(needle, start)
    while at != -1:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def run_on_terminal(argv: Sequence[str], env: Mapping[str, str], cwd: Path, bound_s: float) -> TerminalRun:
    """Run `argv` on a new pty until it exits, asks, or `bound_s` passes; nothing is ever typed."""
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    tty = os.ttyname(child_fd)
    prefix = [SETSID, "--ctty"] if SETSID else []
    process = subprocess.Popen(
        [*prefix, *argv],
        env=dict(env),
        cwd=cwd,
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        start_new_session=not SETSID,
    )
    output = bytearray()
    prompted, reading_before, exited, scanned = "", False, False, 0
    deadline = time.monotonic() + bound_s
    quiet_raw_since: float | None = None
    try:
        while True:
            ready, _, _ = select.select([main_fd], [], [], POLL_S)
            if ready:
                output += os.read(main_fd, 65536)
                scanned = answer_queries(main_fd, output, scanned)
            if process.poll() is not None:
                exited = True
                break
            now = time.monotonic()
            idle = not _pending(child_fd)
            reading = idle and _reading_terminal(process.pid, tty)
            if reading and reading_before:
                prompted = "waits reading the terminal"
                break
            reading_before = reading
            quiet_raw_since = None if ready or not idle or not _raw(child_fd) else quiet_raw_since or now
            if quiet_raw_since is not None and now - quiet_raw_since >= RAW_WAIT_S:
                prompted = "holds the terminal in raw mode, waiting for a key"
                break
            if now > deadline:
                break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # gh leads its own session: its children go too
        code = process.wait()
        while select.select([main_fd], [], [], 0)[0]:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        os.close(main_fd)
        os.close(child_fd)
    return TerminalRun(code if exited else None, prompted, bytes(output))
