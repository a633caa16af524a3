"""What most likely went wrong with an import that no patch can fix: the facts a maintainer checks first.

Each finding is a sentence of Markdown; `where` turns a checkout path into a link at the triaged commit.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable
from pathlib import Path

from autoheal.report import Report

from . import deps, modules
from .crash import exception_types

# Removed from the standard library: module -> (first Python without it, what to use instead).
REMOVED = {
    "distutils": ((3, 12), "setuptools (or `sysconfig` / `shutil` for what it offered)"),
    "imp": ((3, 12), "`importlib`"),
    "asynchat": ((3, 12), "`asyncio`"),
    "asyncore": ((3, 12), "`asyncio`"),
    "smtpd": ((3, 12), "the aiosmtpd distribution"),
    "binhex": ((3, 11), "`base64` / `binascii`"),
    "formatter": ((3, 10), "nothing: write the formatting directly"),
    "parser": ((3, 10), "`ast`"),
    "symbol": ((3, 10), "`token` / `ast`"),
    "lib2to3": ((3, 13), "a maintained parser such as LibCST or parso"),
    **{
        name: ((3, 13), "a maintained replacement from PyPI (PEP 594 lists them)")
        for name in (
            "aifc audioop cgi cgitb chunk crypt imghdr mailcap msilib nis nntplib ossaudiodev pipes sndhdr spwd "
            "sunau telnetlib uu xdrlib"
        ).split()
    },
}
WINDOWS_ONLY = {"winreg", "_winreg", "msvcrt", "winsound", "_winapi", "nt", "_overlapped", "win32api", "win32con"}
POSIX_ONLY = {"fcntl", "termios", "pwd", "grp", "resource", "tty", "pty", "posix", "syslog", "readline", "_curses"}
_BINARY = re.compile(
    r"cannot open shared object file|undefined symbol|DLL load failed|wrong ELF class|invalid ELF header"
    r"|incompatible architecture|not a valid Win32 application|file too short|symbol not found in flat namespace"
)
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".tox"}


def import_findings(report: Report, tree: Path, where: Callable[[str, int | None], str]) -> list[str]:
    """Findings for the ImportError family; [] for any other crash."""
    if not {"ModuleNotFoundError", "ImportError"} & set(exception_types(report)[:1]):
        return []
    message = report.message
    if _BINARY.search(message):
        return [
            "A compiled extension failed to load: the installed wheel is broken or built for another platform or "
            f"Python (`{report.platform or 'unknown platform'}`, Python {report.runtime.get('version', '?')}). "
            "Reinstall it with `pip install --force-reinstall --no-cache-dir`, or check that a wheel exists for "
            "this platform."
        ]
    missing = _NO_MODULE.search(message)
    if missing:
        return _missing_module(report, missing.group(1), tree, where)
    cannot = _CANNOT_IMPORT.search(message)
    if cannot:
        return _missing_name(cannot.group(1), cannot.group(2), tree, where)
    return []


def _missing_module(report: Report, module: str, tree: Path, where: Callable[[str, int | None], str]) -> list[str]:
    top = module.split(".")[0]
    found: list[str] = []
    version = _version(report)
    if top in REMOVED and version and version >= REMOVED[top][0]:
        since, instead = REMOVED[top]
        found.append(
            f"`{top}` was removed from the standard library in Python {since[0]}.{since[1]} "
            f"(this ran on {report.runtime.get('version')}); use {instead}."
        )
    platform = report.platform.lower()
    if top in WINDOWS_ONLY and "windows" not in platform:
        found.append(f"`{top}` exists only on Windows; this ran on `{report.platform}`. Guard the import by platform.")
    if top in POSIX_ONLY and "windows" in platform:
        found.append(f"`{top}` exists only on Unix; this ran on `{report.platform}`. Guard the import by platform.")
    elsewhere = local_copies(tree, module)
    if elsewhere:
        links = ", ".join(where(rel, None) for rel in elsewhere[:3])
        found.append(
            f"`{module}` is part of this repository ({links}) but was not on the import path where it ran: run it "
            "as a module from the project root (`python -m ...`), install the project (`pip install -e .`), or "
            "use a package-relative import."
        )
    distribution = modules.candidate(module)
    if distribution and deps.declares(tree, distribution):
        found.append(
            f"The project declares **{distribution}**, which provides `{top}`, but it was not installed where this "
            "ran: the environment is out of date (reinstall the project and its requirements)."
        )
    group = deps.optional_group(tree, distribution) if distribution else None
    if group:
        found.append(
            f"**{distribution}** is optional here (declared in {group}), so a plain install does not have it. "
            "Rather than making it required, catch the `ImportError` where it is imported and raise a clear error "
            f'naming what to install, e.g. `raise SystemExit("this feature needs {distribution}: pip install '
            f'{distribution}") from None`.'
        )
    near = near_misses(report, top, tree)
    if near:
        found.append(f"`{top}` is close to {', '.join(f'`{n}`' for n in near)}: a typo in the import?")
    return found


def _missing_name(name: str, module: str, tree: Path, where: Callable[[str, int | None], str]) -> list[str]:
    copies = local_copies(tree, module)
    if not copies:
        return []
    text = (tree / copies[0]).read_text(encoding="utf-8", errors="replace")
    defined = {a or b for a, b in re.findall(r"(?m)^(?:async\s+def|def|class)\s+(\w+)|^(\w+)\s*[:=]", text)}
    near = difflib.get_close_matches(name, sorted(defined), n=3, cutoff=0.75)
    hint = f"; it defines {', '.join(f'`{n}`' for n in near)}" if near else ""
    return [f"`{module}` ({where(copies[0], None)}) has no top-level `{name}`{hint}."]


def local_copies(tree: Path, module: str) -> list[str]:
    """Checkout paths that hold `module` (as `a/b.py` or `a/b/`), shortest first."""
    parts = module.split(".")
    wanted = {"/".join(parts) + ".py", "/".join(parts) + "/__init__.py", "/".join(parts)}
    found = []
    root = tree.resolve()
    for path in _walk(root):
        rel = path.relative_to(root).as_posix()
        if any(rel == w or rel.endswith("/" + w) for w in wanted):
            found.append(rel)
    return sorted(found, key=lambda r: (r.count("/"), r))


def _walk(root: Path, limit: int = 5000) -> list[Path]:
    """Files and directories of the checkout, bounded, skipping environments and VCS data."""
    out: list[Path] = []
    stack = [root]
    while stack and len(out) < limit:
        for child in sorted(stack.pop().iterdir()):
            if child.is_symlink() or child.name in _SKIP_DIRS:
                continue
            out.append(child)
            if child.is_dir():
                stack.append(child)
    return out


def near_misses(report: Report, top: str, tree: Path) -> list[str]:
    names = {p.stem if p.suffix == ".py" else p.name for p in tree.iterdir() if p.suffix == ".py" or p.is_dir()}
    names |= {deps.requirement_name(r).replace("-", "_") for r in deps.declared(tree)}
    names |= {name.replace("-", "_").lower() for name in report.packages}
    names |= set(sys.stdlib_module_names) | {m.split(".")[0] for m in modules.MISMATCHED}
    names.discard(top)
    near = [
        n for n in sorted(names) if n and (_one_edit(top, n) or difflib.SequenceMatcher(None, top, n).ratio() > 0.85)
    ]
    return near[:3]


def _one_edit(a: str, b: str) -> bool:
    """One character substituted, inserted, deleted, or two neighbours swapped: the usual typo."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        swapped = a[start + 1 : start + 2] + a[start : start + 1] == b[start : start + 2]
        return a[start + 1 :] == b[start + 1 :] or (swapped and a[start + 2 :] == b[start + 2 :])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1 :] == shorter[start:]


def _version(report: Report) -> tuple[int, int] | None:
    found = re.match(r"(\d+)\.(\d+)", report.runtime.get("version", ""))
    return (int(found.group(1)), int(found.group(2))) if found else None
