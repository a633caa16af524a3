"""gh's argv read the way gh reads it: cobra finds the command, pflag parses the flags.

Driven by the flag table generated from gh itself (`gh_commands.FLAGS`), so a value is taken where gh
takes one and nowhere else: `-XPOST`, `-X=POST`, `-X POST`, `--method=POST`, combined shorthands
(`-iX POST`, `-wL5`), flags before the subcommand (`gh issue -R o/r close 2`), `--` and repeated
flags. Whatever gh would reject (an unknown flag, a missing value, a bad boolean) is reported as
an error, never guessed around: the policy treats it as a command it cannot be sure of.
Standard library only, no regular expressions: this runs on every call.
"""

from __future__ import annotations

from .gh_commands import ALIASES, FLAGS

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Sequence

UNPARSED = "!"  # a command that hands its arguments on without parsing them (`extension exec`)
_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # strconv.ParseBool, as pflag uses it
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class Flag:
    """One flag of one command: `kind` is "" (boolean), "=" (takes a value) or "?" (optional value)."""

    __slots__ = ("name", "short", "kind")

    def __init__(self, name: str, short: str, kind: str) -> None:
        self.name = name
        self.short = short
        self.kind = kind

    @property
    def default(self) -> str:
        """The value pflag gives a flag named without one (its NoOptDefVal)."""
        return "true" if self.kind == "" else ""


class FlagSet:
    """A command's flags by long name and by shorthand, from one line of the generated table."""

    __slots__ = ("long", "short", "unparsed")

    def __init__(self, spec: str) -> None:
        self.long: dict[str, Flag] = {}
        self.short: dict[str, Flag] = {}
        self.unparsed = spec == UNPARSED
        for item in spec.split() if not self.unparsed else ():
            kind = item[-1] if item[-1] in "=?" else ""
            body = item[:-1] if kind else item
            short, _, name = body.rpartition("/")
            flag = Flag(name, short, kind)
            self.long[name] = flag
            if short:
                self.short[short] = flag

    def takes_next_long(self, name: str) -> bool:
        """cobra's view while looking for the subcommand: an unknown `--flag` is assumed to take a value."""
        flag = self.long.get(name)
        return flag is None or flag.kind == "="

    def takes_next_short(self, char: str) -> bool:
        flag = self.short.get(char)
        return flag is None or flag.kind == "="


class Parsed:
    """The command path, each flag given (long name, value) in order, the positionals, and any error."""

    __slots__ = ("command", "flags", "positionals", "error", "help", "after_dash")

    def __init__(self, command: str) -> None:
        self.command = command
        self.flags: list[tuple[str, str]] = []
        self.positionals: list[str] = []
        self.error = ""  # why gh would refuse this argv; "" when it parses
        self.help = False  # gh prints help and does nothing else
        self.after_dash = 0  # how many positionals came after `--`

    def values(self, name: str) -> list[str]:
        """Every value given to the flag with this long name, in order (a repeated flag keeps them all)."""
        return [value for flag, value in self.flags if flag == name]

    def last(self, name: str) -> str | None:
        """The value gh uses for a single-valued flag given more than once: the last."""
        found = self.values(name)
        return found[-1] if found else None

    def given(self, name: str) -> bool:
        return any(flag == name for flag, _ in self.flags)

    def true(self, name: str) -> bool | None:
        """A boolean flag's value as gh sees it; None when its value is not a boolean gh accepts."""
        value = self.last(name)
        if value is None or value in _FALSE:
            return False
        return True if value in _TRUE else None


def flag_set(path: str) -> FlagSet:
    return FlagSet(FLAGS[path])


def _strip_flags(args: Sequence[str], flags: FlagSet) -> list[str]:
    """cobra's stripFlags: the words that are not flags or (as cobra guesses) flag values."""
    words: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            break
        if arg.startswith("--") and "=" not in arg and flags.takes_next_long(arg[2:]):
            index += 1
        elif arg.startswith("-") and "=" not in arg and len(arg) == 2 and flags.takes_next_short(arg[1]):
            index += 1
        elif arg and not arg.startswith("-"):
            words.append(arg)
    return words


def _minus_first(args: Sequence[str], word: str, flags: FlagSet) -> list[str]:
    """cobra's argsMinusFirstX: args without the first occurrence of the subcommand's name."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            break
        if (arg.startswith("--") and "=" not in arg and flags.takes_next_long(arg[2:])) or (
            arg.startswith("-") and "=" not in arg and len(arg) == 2 and flags.takes_next_short(arg[1])
        ):
            index += 2
            continue
        if not arg.startswith("-") and arg == word:
            return [*args[:index], *args[index + 1 :]]
        index += 1
    return list(args)


def find_command(argv: Sequence[str]) -> tuple[str, list[str]]:
    """The command path cobra would run ("issue close"; "" for gh itself) and the args left for it."""
    path, rest = "", list(argv)
    while True:
        flags = flag_set(path)
        if flags.unparsed:
            return path, rest
        words = _strip_flags(rest, flags)
        if not words:
            return path, rest
        candidate = f"{path} {words[0]}".strip()
        candidate = ALIASES.get(candidate, candidate)
        if candidate not in FLAGS:
            return path, rest
        rest = _minus_first(rest, words[0], flags)
        path = candidate


def _take_value(flag: Flag, inline: str | None, args: Sequence[str], index: int, parsed: Parsed) -> int:
    """Record one flag; returns the index of the next argument."""
    if inline is not None:
        if flag.kind == "" and inline not in _TRUE and inline not in _FALSE:
            parsed.error = f"invalid argument {inline!r} for --{flag.name}"
        parsed.flags.append((flag.name, inline))
    elif flag.kind != "=":
        parsed.flags.append((flag.name, flag.default))
    elif index < len(args):
        parsed.flags.append((flag.name, args[index]))
        index += 1
    else:
        parsed.error = f"flag needs an argument: --{flag.name}"
    return index


def parse(argv: Sequence[str]) -> Parsed:
    """Find the command and parse its flags exactly as pflag does (interspersed, `--` ends flags)."""
    path, args = find_command(argv)
    parsed = Parsed(path)
    flags = flag_set(path)
    if flags.unparsed:
        parsed.positionals = list(args)
        parsed.error = "gh hands these arguments on without parsing them"
        return parsed
    index = 0
    while index < len(args) and not parsed.error:
        arg = args[index]
        index += 1
        if arg == "--":
            parsed.positionals += args[index:]
            parsed.after_dash = len(args) - index
            break
        if not arg.startswith("-") or arg == "-":
            parsed.positionals.append(arg)
        elif arg.startswith("--"):
            name, equals, value = arg[2:].partition("=")
            flag = flags.long.get(name)
            if not name or name[0] in "-=" or flag is None:
                parsed.error = f"unknown flag: {arg}"
            else:
                index = _take_value(flag, value if equals else None, args, index, parsed)
        else:
            index = _parse_shorthands(arg[1:], args, index, flags, parsed)
    parsed.help = parsed.help or parsed.true("help") is True
    return parsed


def _parse_shorthands(shorthands: str, args: Sequence[str], index: int, flags: FlagSet, parsed: Parsed) -> int:
    """`-abc`, `-XPOST`, `-X=POST`, `-X POST`: pflag's parseShortArg, one character at a time."""
    while shorthands and not parsed.error:
        char = shorthands[0]
        flag = flags.short.get(char)
        if flag is None:
            if char == "h":  # pflag answers an undefined -h with its help
                parsed.help = True
                parsed.error = "help requested"
            else:
                parsed.error = f"unknown shorthand flag: {char!r} in -{shorthands}"
            return index
        if len(shorthands) > 2 and shorthands[1] == "=":
            index = _take_value(flag, shorthands[2:], args, index, parsed)
            shorthands = ""
        elif flag.kind != "=":
            index = _take_value(flag, None, args, index, parsed)
            shorthands = shorthands[1:]
        elif len(shorthands) > 1:
            index = _take_value(flag, shorthands[1:], args, index, parsed)
            shorthands = ""
        else:
            index = _take_value(flag, None, args, index, parsed)
            shorthands = ""
    return index
