"""Command lines in gh's manner, shared by the `ghcache` and `autoheal` CLIs (each zipapp carries a copy):
help as gh prints it (USAGE, COMMANDS, FLAGS, no argparse noise), `help [command]`, `--version`,
`--json` and `--jq` (filtered by the jq program, as gh's --jq is by its built-in jq), errors as one
`prog: ...` line, and exit statuses that say what happened: 0 done, 1 the operation failed, 2 a usage
error or a bad setting, 130 interrupted. A reader that goes away (`... | head -1`) ends the command quietly.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

Flag = tuple[tuple[str, ...], dict[str, Any]]
JSON_FLAGS: list[Flag] = [
    (("--json",), {"action": "store_true", "dest": "as_json", "help": "Output JSON"}),
    (("-q", "--jq"), {"metavar": "expression", "help": "Filter JSON output using a jq expression (implies --json)"}),
]


class UserError(Exception):
    """A problem the user can fix (usage, a bad setting); one line, exit status 2."""


class Failed(Exception):
    """The operation could not be done; one line, exit status 1."""


class Command:
    """One subcommand: what it runs (its docstring's first line is the summary), its usage line and flags.

    `run` returns the text to print and optionally an exit status (`(text, 1)`: printed, yet not done).
    `parse`, if given, replaces argparse for commands whose arguments are another program's (`explain`).
    """

    def __init__(
        self,
        name: str,
        run: Callable[[argparse.Namespace], str | tuple[str, int]],
        usage: str = "",
        flags: Sequence[Flag] = (),
        positionals: Sequence[Flag] = (),
        parse: Callable[[list[str]], argparse.Namespace] | None = None,
    ) -> None:
        self.name = name
        self.run = run
        self.usage = usage
        self.flags = list(flags)
        self.positionals = list(positionals)
        self.parse = parse
        self.summary = (run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else ""


def _aligned(rows: Sequence[tuple[str, str]]) -> list[str]:
    width = max((len(name) for name, _ in rows), default=0)
    return [f"  {name:<{width}}  {text}".rstrip() for name, text in rows]


def _flag_label(names: tuple[str, ...], options: dict[str, Any]) -> str:
    short = [name for name in names if not name.startswith("--")]
    long = [name for name in names if name.startswith("--")]
    label = ", ".join([*short, *long]) if short else f"    {long[0]}"
    return f"{label} {options['metavar']}" if "metavar" in options else label


class _Parser(argparse.ArgumentParser):
    """argparse for the parsing only: its errors become one line (exit status 2) pointing at the help."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


class App:
    """A program's commands. `user_errors`: more exception types that mean a usage error or a bad setting;
    `error_label` goes between the program's name and an error (`autoheal: error: ...`)."""

    def __init__(
        self,
        prog: str,
        about: str,
        version: str,
        commands: Sequence[Command],
        examples: Sequence[str] = (),
        user_errors: tuple[type[Exception], ...] = (),
        error_label: str = "",
    ) -> None:
        self.prog = prog
        self.about = about
        self.version = version
        self.commands = {command.name: command for command in commands}
        self.examples = list(examples)
        self.user_errors: tuple[type[Exception], ...] = (UserError, *user_errors)
        self.error_label = error_label

    def help(self) -> str:
        rows = [(f"{c.name}:", c.summary) for c in self.commands.values()] + [("help:", "Show help for a command")]
        lines = [self.about, "", "USAGE", f"  {self.prog} <command> [flags]", "", "COMMANDS", *_aligned(rows)]
        lines += ["", "FLAGS", *_aligned([("--help", "Show help for command"), ("--version", "Show version")])]
        if self.examples:
            lines += ["", "EXAMPLES", *(f"  $ {example}" for example in self.examples)]
        lines += ["", "LEARN MORE", f"  Use `{self.prog} <command> --help` for more information about a command."]
        return "\n".join(lines)

    def command_help(self, command: Command) -> str:
        rows = [(_flag_label(names, options), options.get("help", "")) for names, options in command.flags]
        lines = [command.summary, "", "USAGE", f"  {self.prog} {command.name} {command.usage}".rstrip()]
        if rows:
            lines += ["", "FLAGS", *_aligned(rows)]
        return "\n".join([*lines, "", "INHERITED FLAGS", *_aligned([("--help", "Show help for command")])])

    def parse(self, command: Command, argv: list[str]) -> argparse.Namespace:
        parser = _Parser(prog=f"{self.prog} {command.name}", add_help=False)
        for names, options in [*command.positionals, *command.flags]:
            parser.add_argument(*names, **options)
        return parser.parse_args(argv)

    def run(self, argv: list[str]) -> int:
        if not argv or argv[0] in ("-h", "--help"):
            emit(self.help())
            return 0
        if argv[0] in ("--version", "version"):
            emit(f"{self.prog} version {self.version}")
            return 0
        name, rest = argv[0], argv[1:]
        if name == "help":
            if rest and rest[0] not in self.commands:
                raise UserError(f"unknown command {rest[0]!r} (see `{self.prog} help`)")
            emit(self.command_help(self.commands[rest[0]]) if rest else self.help())
            return 0
        command = self.commands.get(name)
        if command is None:
            raise UserError(f"unknown command {name!r} (see `{self.prog} help`)")
        own = rest[:1] if command.parse else rest  # past the first word, the arguments are another program's
        if any(word in ("-h", "--help") for word in own):
            emit(self.command_help(command))
            return 0
        result = command.run(command.parse(rest) if command.parse else self.parse(command, rest))
        text, code = result if isinstance(result, tuple) else (result, 0)
        emit(text)
        return code

    def main(self, argv: list[str] | None = None) -> int:
        try:
            return self.run(list(sys.argv[1:] if argv is None else argv))
        except self.user_errors as error:
            print(f"{self.prog}: {self.error_label}{error}", file=sys.stderr)
            return 2
        except Failed as error:
            print(f"{self.prog}: {self.error_label}{error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "as_json", False) or getattr(args, "jq", None))


def json_output(data: Any, args: argparse.Namespace) -> str:
    """JSON as `--json` prints it, or filtered through jq as gh's `--jq` does (strings come out raw)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    expression = getattr(args, "jq", None)
    if not expression:
        return text
    try:
        done = subprocess.run(["jq", "-r", expression], input=text, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise UserError("--jq needs the jq program on PATH (or use --json)") from None
    if done.returncode != 0:
        raise UserError(f"--jq: {(done.stderr.strip().splitlines() or ['jq failed'])[-1]}")
    return done.stdout.rstrip("\n")


def emit(text: str) -> None:
    """Print; a reader that went away ends the command quietly with 141 (128 + SIGPIPE), as it would gh."""
    if not text:
        return
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's own flush at exit fails no more
        raise SystemExit(141) from None
