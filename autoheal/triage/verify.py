"""Prove a fix: in a throw-away venv with the project installed the way its files say, the reproduction
fails with the reported failure (same type, message and crashing frame: the same fingerprint) before the
patch, the patched project still installs and builds, and the reproduction no longer fails after it.

Only code inside the checkout is ever run (a script, a module with `-m`, or a console script the project
declares), with the report's arguments as plain argv elements, without a shell, in a minimal environment
(no token reaches the user's code) where the report's recorded variable names are set to placeholders.
Anything that cannot be checked this way is not verified, and triage then opens no pull request.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from autoheal.report import Report, runnable

from . import failure, project
from .crash import locate, locate_dir
from .markdown import fenced
from .patterns import Fix
from .rerun import Run, add_recorder, run

TIMEOUT = 60.0
TAIL = 2000  # characters of stderr kept in the log
PLACEHOLDER = "autoheal-placeholder"
_RUNPY = ("_run_module_as_main", "_run_module_code")


@dataclass
class Verification:
    status: str  # "verified", "unverifiable" (could not check it) or "failed" (checked: it does not prove the fix)
    reason: str
    runs: list[tuple[str, Run]] = field(default_factory=list)
    fix: Fix | None = None  # the fix as verified (a dependency gains the version that was installed)
    installed: str = ""  # how the project was installed

    def log(self) -> str:
        """Markdown: the outcome, how the project was installed, then each run with the tail of its stderr."""
        parts = [f"**{self.status}**: {self.reason}"]
        if self.installed:
            parts += ["", f"Installed in a fresh venv: {self.installed}."]
        for label, ran in self.runs:
            parts += [
                "",
                f"{label}: `{' '.join(ran.argv)}` exited {ran.returncode} in {ran.seconds:.2f} s",
                fenced(ran.stderr[-TAIL:] or "(no stderr)", "text"),
            ]
        return "\n".join(parts)


@dataclass(frozen=True)
class Command:
    """How the user ran it: `shown` as they typed it, `argv` what runs here (before the venv's python)."""

    shown: list[str]
    argv: list[str]
    cwd: Path
    console_script: bool = False


def reproduction(report: Report, tree: Path) -> Command | str:
    """The user's command inside the checkout, or why the crash cannot be re-run."""
    if not runnable(report):
        return "the report came from the public JS endpoint: its content is data, never a command to run"
    if not report.argv or not report.argv[0]:
        return "the report records no command line"
    cwd = locate_dir(tree, report.cwd)
    first, args = report.argv[0], report.argv[1:]
    if first in ("-c", "-"):
        return "the program was given on the command line or standard input, not as a file in the repository"
    script = locate(tree, first, report.cwd) if first.endswith(".py") else None
    if script is not None:
        module = _module_name(report, script, tree)
        if module:
            return Command(["python", "-m", module, *args], ["-m", module, *args], cwd)
        return Command(["python", _relative(script, cwd, tree), *args], [str(script), *args], cwd)
    name = PurePosixPath(first).name
    if name in _console_scripts(tree):
        return Command([name, *args], [name, *args], cwd, console_script=True)
    return f"the program {first!r} is not a script, module or console script of this checkout"


def verify(report: Report, fix: Fix, tree: Path, timeout: float = TIMEOUT) -> Verification:
    """Install, run before, patch, reinstall and build, run after; the tree is left patched only if verified."""
    command = reproduction(report, tree)
    if isinstance(command, str):
        return Verification("unverifiable", command)
    layout = project.detect(tree)
    originals = _snapshot(tree, fix)
    with tempfile.TemporaryDirectory(prefix="autoheal-verify-") as scratch:
        checked = _check(report, fix, tree, command, layout, Path(scratch), timeout)
    if checked.status != "verified":
        _restore(tree, originals)
    return replace(checked, installed=layout.describe())


def _check(
    report: Report, fix: Fix, tree: Path, command: Command, layout: project.Project, scratch: Path, timeout: float
) -> Verification:
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    add_recorder(venv)
    problem = project.install(python, layout, tools=True)
    if problem:
        return Verification("unverifiable", f"the project as it is could not be installed: {problem}")
    env = _env(report, venv, scratch)
    head = [str(venv / "bin" / command.argv[0])] if command.console_script else [str(python), command.argv[0]]
    argv = [*head, *command.argv[1:]]
    before = run(argv, command.cwd, env, timeout, scratch / "before.json")
    runs = [("before", _shown(before, command, tree, scratch))]
    different = failure.difference(report, before.crash, tree, command.cwd)
    if different:
        return Verification("failed", f"before the patch the reported failure did not happen: {different}", runs)
    again = run(argv, command.cwd, env, timeout, scratch / "again.json")  # what the first run left must not matter
    different = failure.difference(report, again.crash, tree, command.cwd)
    if different:
        runs.append(("before, again", _shown(again, command, tree, scratch)))
        return Verification("failed", f"the failure does not happen on every run: {different}", runs)
    final, problem = _patch(fix, tree, python, layout, scratch)
    if problem or final is None:
        return Verification("failed", f"the patch could not be checked: {problem}", runs, final)
    after = run(argv, command.cwd, env, timeout, scratch / "after.json")
    runs.append(("after", _shown(after, command, tree, scratch)))
    if after.crash is not None:
        return Verification("failed", f"after the patch it still crashes ({after.crash.exc_type})", runs, final)
    if after.returncode != 0 and not (final.clean_exit_naming and final.clean_exit_naming in after.stderr):
        return Verification("failed", f"after the patch it exits {after.returncode}", runs, final)
    return Verification(
        "verified",
        f"the reported `{report.exc_type}` (same message, crashing frame and fingerprint) happened before the "
        "patch; the patched project installs and builds, and the failure is gone after it",
        runs,
        final,
    )


def _patch(fix: Fix, tree: Path, python: Path, layout: project.Project, scratch: Path) -> tuple[Fix | None, str | None]:
    """Apply the fix and prove the patched project installs (a dependency change: reinstalled, only what is
    new gets installed) or builds (a source change: its wheel is built); the fix as it ends up."""
    if fix.provides:
        distribution, module = fix.provides
        problem = project.requirements(python, [distribution], what=distribution)
        if problem:
            return fix, problem
        if not project.provides(python, distribution, module):
            return fix, f"the installed {distribution} does not ship the module `{module}`"
        version = project.installed_version(python, distribution)
        final = fix.versioned(version) if fix.versioned and version else fix
        if final is None:
            return None, f"the requirement could not be written with version {version}"
        fix = final
    fix.apply(tree)
    if fix.installs:
        return fix, project.install(python, project.detect(layout.root), tools=False)
    return fix, project.build(python, layout, scratch / "dist")


def _snapshot(tree: Path, fix: Fix) -> dict[str, str | None]:
    return {rel: (tree / rel).read_text(encoding="utf-8") if (tree / rel).is_file() else None for rel in fix.edits}


def _restore(tree: Path, originals: dict[str, str | None]) -> None:
    for rel, text in originals.items():
        if text is None:
            (tree / rel).unlink(missing_ok=True)
        else:
            (tree / rel).write_text(text, encoding="utf-8")


def _module_name(report: Report, script: Path, tree: Path) -> str | None:
    """`pkg.mod` when the user ran `python -m pkg.mod` (runpy frames lead the stack), else None."""
    if not report.frames or report.frames[0].function not in _RUNPY:
        return None
    parts = list(script.relative_to(tree.resolve()).with_suffix("").parts)
    if parts[-1] == "__main__":
        parts = parts[:-1]
    if parts and parts[0] == "src":
        parts = parts[1:]
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def _console_scripts(tree: Path) -> set[str]:
    data = project.pyproject(tree)
    names = set((data.get("project") or {}).get("scripts") or {})
    names |= set(((data.get("tool") or {}).get("poetry") or {}).get("scripts") or {})
    return names


def _relative(script: Path, cwd: Path, tree: Path) -> str:
    return (script.relative_to(cwd) if script.is_relative_to(cwd) else script.relative_to(tree.resolve())).as_posix()


def _env(report: Report, venv: Path, scratch: Path) -> dict[str, str]:
    base = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(scratch),
        "LANG": "C.UTF-8",
        "VIRTUAL_ENV": str(venv),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }
    recorded = {name: PLACEHOLDER for name in report.env if name.isidentifier() and name not in base}
    return {**recorded, **base}


def _shown(ran: Run, command: Command, tree: Path, scratch: Path) -> Run:
    """The run as a reader should see it: the user's command, paths relative to the checkout, `<venv>`."""

    def clean(text: str) -> str:
        return text.replace(str(tree.resolve()) + "/", "").replace(str(scratch / "venv"), "<venv>")

    return Run(command.shown, ran.returncode, clean(ran.stderr), ran.seconds, ran.crash)
