"""On a terminal where gh asks, the question reaches the user and the answer is never cached.

End to end, the shim runs on a pty that is its stdin, stdout and stderr, as in a user's shell: gh's
prompt must appear there (the shim passed gh through), the user's answer must reach gh, and the next
run must ask again rather than replay the first answer from the cache. The policy's rule is checked
against gh too: the table of commands that prompt for a missing argument is what gh 2.102 says.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
from ghrig import GhRig
from oracle.oracle_terminal import answer_queries
from support import REAL_GH, ROOT

from ghcache import policy
from ghcache.argv import flag_set
from ghcache.gh_commands import PROMPTS_WITHOUT_ARGUMENTS
from scripts.gen_gh_commands import Flag, prompts_without_arguments

BOUND_S = 60
TERMINAL = {"stdin_tty": True, "stdout_tty": True}


@pytest.mark.parametrize(
    "argv",
    [
        "run view",
        "run view -R o/r --log",
        "run -R o/r view",
        "workflow view",
        "workflow view CI",
        "workflow view -R o/r Lint",
        "workflow view ci",
        "run list -w CI",
        "run list --workflow=CI",
        "run list -wCI",
        "run list -w ci.yml -w CI",
    ],
)
def test_what_may_prompt_passes_through_on_a_terminal(argv: str) -> None:
    assert policy.decide(argv.split(), **TERMINAL, env={}).action == "pass"
    assert policy.decide(argv.split(), env={}).action == "read"  # no terminal: gh cannot ask


@pytest.mark.parametrize(
    "argv",
    ["run view 42", "workflow view ci.yml", "workflow view 1234", "run list -w ci.YAML", "run list", "issue list"],
)
def test_what_cannot_prompt_is_cached_on_a_terminal(argv: str) -> None:
    assert policy.decide(argv.split(), **TERMINAL, env={}).action == "read"


def test_prompts_disabled_as_gh_reads_it(tmp_path: Path) -> None:
    """GH_PROMPT_DISABLED set to anything (gh uses LookupEnv), or `prompt: disabled` in gh's config."""
    assert policy.decide(["run", "view"], **TERMINAL, env={"GH_PROMPT_DISABLED": ""}).action == "read"
    (tmp_path / "config.yml").write_text("git_protocol: https\nprompt: disabled\n")
    assert policy.decide(["run", "view"], **TERMINAL, env={"GH_CONFIG_DIR": str(tmp_path)}).action == "read"
    (tmp_path / "config.yml").write_text("prompt: enabled\n")
    assert policy.decide(["run", "view"], **TERMINAL, env={"GH_CONFIG_DIR": str(tmp_path)}).action == "pass"


@pytest.mark.parametrize("command", sorted(policy.READS))
def test_the_prompt_table_is_what_gh_says(command: str, tmp_path: Path) -> None:
    """For each read, gh itself (no arguments, no terminal) says whether it would have asked on one."""
    flags = [Flag(flag.short, flag.name, flag.kind) for flag in flag_set(command).long.values()]
    assert prompts_without_arguments(REAL_GH, command, flags, str(tmp_path)) == (command in PROMPTS_WITHOUT_ARGUMENTS)


class Terminal:
    """One program on a fresh pty (its controlling terminal), read and typed into like a user would."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.main_fd, child_fd = pty.openpty()
        fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.process = subprocess.Popen(
            ["setsid", "--ctty", *argv], env=env, cwd=cwd, stdin=child_fd, stdout=child_fd, stderr=child_fd
        )
        os.close(child_fd)
        self.screen = bytearray()
        self.scanned = 0

    def _read(self) -> bool:
        """Take what the program wrote (answering terminal queries, as a terminal does); False at the end."""
        try:
            chunk = os.read(self.main_fd, 65536)
        except OSError:  # EIO: everyone closed the terminal
            return False
        self.screen += chunk
        self.scanned = answer_queries(self.main_fd, self.screen, self.scanned)
        return bool(chunk)

    def wait_for(self, text: bytes) -> None:
        """Read what the terminal shows until `text` appears (bounded)."""
        deadline = time.monotonic() + BOUND_S
        while text not in self.screen:
            assert time.monotonic() < deadline, f"{text!r} never appeared: {bytes(self.screen[-2000:])!r}"
            if select.select([self.main_fd], [], [], 0.5)[0] and not self._read():
                assert text in self.screen, f"{text!r} never appeared: {bytes(self.screen[-2000:])!r}"

    def type(self, keys: bytes) -> None:
        os.write(self.main_fd, keys)

    def finish(self) -> int:
        """Read to the end; the program's exit code."""
        deadline = time.monotonic() + BOUND_S
        while time.monotonic() < deadline:
            if select.select([self.main_fd], [], [], 0.5)[0]:
                if not self._read():
                    break
            elif self.process.poll() is not None:
                break
        os.close(self.main_fd)
        return self.process.wait(timeout=BOUND_S)


def _on_terminal(rig: GhRig) -> dict[str, str]:
    env = {name: value for name, value in rig.env.items() if name not in ("GH_PROMPT_DISABLED", "NO_COLOR")}
    return {**env, "TERM": "xterm-256color"}


def _entries(rig: GhRig) -> list[Path]:
    return [path for path in (rig.cache_dir / "entries").rglob("*") if path.is_file()]


def _answer_each(terminal: Terminal, questions: tuple[bytes, ...]) -> int:
    """Wait for each question and take its first choice; the program's exit code."""
    for question in questions:
        terminal.wait_for(question)
        terminal.type(b"\r")
    return terminal.finish()


@pytest.mark.parametrize(
    "args,questions",
    [
        (["run", "view", "-R", "octo/hello"], (b"Select a workflow run", b"View a specific job in this run?")),
        (["workflow", "view", "-R", "octo/hello"], (b"Select a workflow",)),
        (["workflow", "view", "CI", "-R", "octo/hello"], (b"Which workflow do you mean?",)),
    ],
    ids=["run view", "workflow view", "workflow view NAME"],
)
def test_a_prompt_reaches_the_terminal_and_nothing_is_cached(
    rig: GhRig, args: list[str], questions: tuple[bytes, ...]
) -> None:
    twin = rig.hub.state.add_run("octo/hello", name="CI nightly", event="schedule")
    with rig.hub.state.lock:
        twin.name = "CI"  # a second workflow named "CI" (another file): a name may mean either
    direct = Terminal([REAL_GH, *args], _on_terminal(rig), rig.home)
    expected = _answer_each(direct, questions)  # what gh alone ends with, after the same answers
    for _ in range(2):  # the second run must ask again, not replay the first answer
        rig.hub.clear_requests()
        terminal = Terminal([str(ROOT / "shims" / "gh"), *args], _on_terminal(rig), rig.home)
        assert _answer_each(terminal, questions) == expected, bytes(terminal.screen[-2000:])
        assert rig.calls() >= 2  # the listing to choose from, and the chosen object
    assert not _entries(rig), "an interactive answer was cached"


def test_where_gh_cannot_ask_the_read_is_cached(rig: GhRig) -> None:
    """The pass-through is for terminals where gh may ask: with GH_PROMPT_DISABLED gh cannot, and says so;
    with the run named, gh has nothing to ask."""
    env = {**_on_terminal(rig), "GH_PROMPT_DISABLED": "1"}
    terminal = Terminal([str(ROOT / "shims" / "gh"), "run", "view", "-R", "octo/hello"], env, rig.home)
    code = terminal.finish()
    assert code != 0 and b"required when not running interactively" in terminal.screen
    # An argument given, gh has nothing to ask: cached on the terminal like anywhere else.
    run_id = str(rig.hub.state.get_repo("octo/hello").runs[0].id)
    for _ in range(2):
        rig.hub.clear_requests()
        terminal = Terminal(
            [str(ROOT / "shims" / "gh"), "run", "view", run_id, "-R", "octo/hello"], _on_terminal(rig), rig.home
        )
        assert terminal.finish() == 0
    assert rig.calls() == 0 and _entries(rig)
