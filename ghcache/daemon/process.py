"""What the kernel says about a process: its scheduling state, from /proc/<pid>/stat (Linux).

The shim asks it of its daemon (one waiting for a CPU is worth a little more patience than one that
is stopped or hung), the daemon of the shims that hold leases (a stopped fetcher is as good as
gone). Standard library only, and cheap: one small read. Where there is no /proc the state is
unknown (""), and callers treat that as the safe answer for them.
"""

from __future__ import annotations

RUNNABLE = "R"  # running, or waiting for a CPU
STOPPED = ("T", "t")  # by a signal (SIGSTOP, SIGTSTP) or by a tracer
DEAD = ("Z", "X")  # exited, not yet reaped by its parent: its pid still answers kill(pid, 0)


def state(pid: int) -> str:
    """The one-letter state of `pid`, or "" when it is gone or cannot be known."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read(4096)
    except OSError:
        return ""
    name_end = stat.rfind(b")")  # the state follows the command name, which may hold anything
    return stat[name_end + 2 : name_end + 3].decode("ascii", "replace") if name_end > 0 else ""
