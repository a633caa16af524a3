"""Regenerate ghcache/gh_commands.py from the real gh: its command tree and every command's flags.

Run with the gh whose grammar the policy should know (the one the tests pin):
    python scripts/gen_gh_commands.py /path/to/gh > ghcache/gh_commands.py && ruff format ghcache/gh_commands.py

The command paths come from `gh help reference`; each command's flags (its own and the inherited,
persistent ones) from `gh <path> --help`. Whether a flag takes a value is not guessed from the help
text (a backticked word in a boolean flag's usage looks like a value name there): each flag is
probed with `gh <path> --help --<flag>`, which pflag parses before help is shown, so a flag that
needs a value fails with "flag needs an argument" and a boolean one prints the help.

Which commands ask on a terminal for an argument left out is gh's own word too: each command is run
once with no arguments (only `-R` when it has one) and prompts disabled, and gh refuses the ones that
would have prompted with "... when not running interactively" (or "... in non-interactive mode").
That probe may get as far as a request: everything it could reach (the host, every proxy) is a closed
port on loopback, its home and config are a fresh temporary directory, and the browser is `true`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HEADING = re.compile(r"^#{2,4} gh ((?:[a-z][\w-]*)(?: [a-z][\w-]*)*)")
FLAG_LINE = re.compile(r"^\s+(?:-(\S), )?--([\w-]+)(?: (\S+))?(?:\s{2,}|$)")
SECTIONS = ("FLAGS", "INHERITED FLAGS")
WOULD_PROMPT = ("when not running interactively", "in non-interactive mode")  # gh's refusal to prompt
NOWHERE = "127.0.0.1:9"  # the discard port: closed on loopback, so a probe's request goes nowhere


def command_paths(gh: str) -> tuple[list[str], dict[str, str]]:
    """Every command path in `gh help reference`, and alias -> command path."""
    text = subprocess.run([gh, "help", "reference"], check=True, capture_output=True, text=True).stdout
    paths: list[str] = [""]
    aliases: dict[str, str] = {}
    current, in_aliases = None, False
    for line in text.splitlines():
        heading = HEADING.match(line)
        if heading:
            current, in_aliases = heading.group(1), False
            paths.append(current)
        elif current is not None and line.startswith("Alias for "):
            paths.remove(current)  # a user's alias (`co` by default), not part of gh: config may change it
            current = None
        elif current is not None and line.strip() == "Aliases":
            in_aliases = True
        elif in_aliases and line.startswith("gh "):
            for alias in line.split(", "):
                aliases[alias.strip()[3:]] = current
            in_aliases = False
    return paths, aliases


class Flag:
    __slots__ = ("short", "name", "kind")

    def __init__(self, short: str, name: str, kind: str) -> None:
        self.short = short
        self.name = name
        self.kind = kind  # "" boolean, "=" takes a value, "?" optional value (pflag NoOptDefVal)

    def spec(self) -> str:
        return (f"{self.short}/" if self.short else "") + self.name + self.kind


def listed_flags(gh: str, path: str) -> list[tuple[str, str, bool]] | None:
    """(shorthand, long name, usage shows an optional value) as `gh <path> --help` lists them; None for
    a command that does not parse its flags itself (such as `extension exec`, which hands them on)."""
    result = subprocess.run([gh, *path.split(), "--help"], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    text = result.stdout
    found, section = [], None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section = line.strip()
            continue
        match = FLAG_LINE.match(line) if section in SECTIONS else None
        if match:
            found.append((match.group(1) or "", match.group(2), "[=" in (match.group(3) or "")))
    return found


def probe(gh: str, path: str, name: str) -> bool:
    """True when the flag needs a value: pflag fails on a trailing `--name` before help is shown."""
    result = subprocess.run([gh, *path.split(), "--help", f"--{name}"], capture_output=True, text=True)
    if result.returncode == 0:
        return False
    # gh answers a bare `--json` with the list of its fields instead of pflag's own message.
    if "flag needs an argument" in result.stderr or "Specify one or more comma-separated fields" in result.stderr:
        return True
    raise SystemExit(f"cannot tell whether gh {path} --{name} takes a value: {result.stderr.strip()}")


def flags_of(gh: str, path: str) -> list[Flag] | None:
    listed = listed_flags(gh, path)
    if listed is None:
        return None
    flags = []
    for short, name, optional in listed:
        kind = "?" if optional else ("=" if probe(gh, path, name) else "")
        flags.append(Flag(short, name, kind))
    return flags


def prompts_without_arguments(gh: str, path: str, flags: list[Flag], home: str) -> bool:
    """True when gh, given no arguments and no terminal, says it would have asked on one."""
    env = {
        "PATH": os.pathsep.join([os.path.dirname(gh), "/usr/bin", "/bin"]),
        "HOME": home,
        "GH_CONFIG_DIR": os.path.join(home, "gh"),
        "XDG_CONFIG_HOME": home,
        "XDG_CACHE_HOME": home,
        "XDG_STATE_HOME": home,
        "XDG_DATA_HOME": home,
        "GIT_CONFIG_GLOBAL": os.path.join(home, "gitconfig"),
        "GH_HOST": NOWHERE,
        "GH_ENTERPRISE_TOKEN": "probe",
        "HTTPS_PROXY": f"http://{NOWHERE}",
        "HTTP_PROXY": f"http://{NOWHERE}",
        "ALL_PROXY": f"http://{NOWHERE}",
        "GH_PROMPT_DISABLED": "1",
        "GH_NO_UPDATE_NOTIFIER": "1",
        "GH_NO_EXTENSION_UPDATE_NOTIFIER": "1",
        "GH_TELEMETRY": "false",
        "BROWSER": "true",
        "GH_BROWSER": "true",
    }
    repo = ["-R", "probe/probe"] if any(flag.name == "repo" for flag in flags) else []
    try:
        result = subprocess.run(
            [gh, *path.split(), *repo],
            env=env,
            cwd=home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(f"gh {path} with no arguments did not finish; cannot tell whether it prompts") from None
    return any(phrase in result.stderr for phrase in WOULD_PROMPT)


def prompting_commands(gh: str, tables: dict[str, list[Flag] | None]) -> list[str]:
    """The commands that run something (not groups, not gh itself) and prompt when given no arguments."""
    groups = {path.rsplit(" ", 1)[0] for path in tables if " " in path}
    leaves = [path for path, flags in tables.items() if path and path not in groups and flags is not None]
    found = []
    for path in sorted(leaves):
        with tempfile.TemporaryDirectory(prefix="gh-probe-") as home:
            if prompts_without_arguments(gh, path, tables[path] or [], home):
                found.append(path)
    return found


def main() -> None:
    gh = shutil.which(sys.argv[1] if len(sys.argv) > 1 else "gh")
    if gh is None:
        raise SystemExit("no gh to read the grammar from")
    gh = os.path.abspath(gh)
    version = subprocess.run([gh, "--version"], check=True, capture_output=True, text=True).stdout.split()[2]
    paths, aliases = command_paths(gh)
    with ThreadPoolExecutor(4) as pool:
        tables = dict(zip(paths, pool.map(lambda path: flags_of(gh, path), paths), strict=True))
    prompting = prompting_commands(gh, tables)
    print(f'"""Generated by scripts/gen_gh_commands.py from gh {version}; do not edit."""')
    print()
    print(f"GH_VERSION = {version!r}")
    print()
    print("# Every command path gh knows ('' is gh itself) -> every flag it accepts, its own and inherited:")
    print("# `s/name` has shorthand -s; a trailing `=` takes a value, `?` takes an optional `=value`, none is")
    print("# boolean; '!' marks a command that hands its arguments on unparsed. Plain strings load faster than")
    print("# sets; the shim splits only the commands it walks.")
    print("FLAGS: dict[str, str] = {")
    for path in sorted(tables):
        flags = tables[path]
        specs = "!" if flags is None else " ".join(sorted(flag.spec() for flag in flags))
        print(f"    {path!r}: {specs!r},")
    print("}")
    print()
    print("# Commands that, run with no arguments where gh may prompt (stdin and stdout terminals, prompts")
    print('# not disabled), ask for what is missing: without a terminal gh refuses them "... when not running')
    print("# interactively\". A cached answer to one of them would replay the user's earlier choice.")
    print("PROMPTS_WITHOUT_ARGUMENTS: frozenset[str] = frozenset(")
    print("    {")
    for path in prompting:
        print(f"        {path!r},")
    print("    }")
    print(")")
    print()
    print("# Alias (e.g. 'issue ls') -> the command path it stands for.")
    print("ALIASES: dict[str, str] = {")
    for alias in sorted(aliases):
        print(f"    {alias!r}: {aliases[alias]!r},")
    print("}")


if __name__ == "__main__":
    main()
