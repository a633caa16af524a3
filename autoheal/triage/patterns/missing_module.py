"""A third-party module the code imports is not installed: declare the distribution that provides it.

The module's full dotted name comes from the import statement on the crashing line (the message may name
only a namespace such as `google`). Nothing is proposed for the standard library, the project's own
modules, a distribution the project already declares (the environment is stale, not the project) or one it
declares as optional (an extra or a development group: making it required is wrong).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path

from autoheal.report import Report

from .. import deps, diagnose, modules
from ..crash import exception_types
from . import source
from .fix import Fix

_NO_MODULE = re.compile(r"No module named '([\w.]+)'")


def propose(report: Report, tree: Path) -> Fix | None:
    if exception_types(report)[0] != "ModuleNotFoundError":
        return None
    match = _NO_MODULE.search(report.message)
    if not match:
        return None
    module = imported_name(report, tree, match.group(1))
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or _is_local(tree, top) or diagnose.local_copies(tree, top):
        return None
    if top in diagnose.REMOVED or top in diagnose.WINDOWS_ONLY | diagnose.POSIX_ONLY:
        return None
    distribution = modules.candidate(module)
    if distribution == top and diagnose.near_misses(report, top, tree):
        return None  # a guessed name that looks like a typo of a known one: how typosquatting bites
    if distribution is None or deps.declares(tree, distribution) or deps.optional_group(tree, distribution):
        return None
    edit = deps.add(tree, distribution)
    if edit is None:
        return None

    def versioned(version: str) -> Fix | None:
        final = deps.add(tree, distribution, version)
        return _fix(report, module, distribution, final, versioned) if final else None

    return _fix(report, module, distribution, edit, versioned)


def _fix(
    report: Report,
    module: str,
    distribution: str,
    edit: tuple[str, str],
    versioned: Callable[[str], Fix | None],
) -> Fix:
    top = module.split(".")[0]
    return Fix(
        pattern="missing-module",
        title=f"Declare the {distribution} dependency (provides `{top}`)",
        explanation=(
            f"The code imports `{module}`, which no declared dependency provides, so a fresh install fails with "
            f"`{report.exc_type}: {report.message}`.\n\n"
            f"The import name `{module}` belongs to the distribution **{distribution}** ({modules.source(module)}); "
            f"this patch declares it in `{edit[0]}`, in the constraint style that file already uses, with the "
            "version verification installed."
        ),
        edits={edit[0]: edit[1]},
        installs=True,
        provides=(distribution, module),
        versioned=versioned,
    )


def imported_name(report: Report, tree: Path, missing: str) -> str:
    """The full dotted name imported on the crashing line that starts with the missing module, else it."""
    site = source.crash_site(report, tree)
    if site is None or site.lineno is None:
        return missing
    names = []
    for node in ast.walk(site.module):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if not node.lineno <= site.lineno <= (node.end_lineno or node.lineno):
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif node.module and not node.level:
            names += [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"] or [node.module]
    fitting = [n for n in names if n == missing or n.startswith(missing + ".")]
    if not fitting or len({modules.candidate(n) for n in fitting}) != 1:
        return missing
    return max(fitting, key=len)


def _is_local(tree: Path, top: str) -> bool:
    """The module is part of the project itself (then the bug is a path problem, not a missing dependency)."""
    roots = [tree, tree / "src"]
    return any((root / top).is_dir() or (root / f"{top}.py").is_file() for root in roots)
