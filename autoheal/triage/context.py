"""What an analysis says about the checkout: frames as repository-relative links at the triaged commit,
the command as the user ran it, and the import diagnosis. Gathered while the checkout still exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from autoheal.report import Report, runnable

from . import git
from .crash import locate
from .diagnose import import_findings
from .markdown import code
from .verify import reproduction


@dataclass(frozen=True)
class Context:
    blob_base: str  # https://github.com/O/R/blob/<sha>
    paths: dict[str, str] = field(default_factory=dict)  # recorded filename -> path in the checkout
    command: str = ""
    findings: tuple[str, ...] = ()

    @classmethod
    def of(cls, html_url: str, report: Report, tree: Path) -> Context:
        sha = git.git(tree, "rev-parse", "HEAD")
        root = tree.resolve()
        paths = {}
        for frame in report.frames:
            found = locate(tree, frame.filename, report.cwd) if frame.in_app else None
            if found is not None:
                paths[frame.filename] = found.relative_to(root).as_posix()
        command = reproduction(report, tree)
        shown = " ".join(command.shown) if not isinstance(command, str) else _as_recorded(report)
        base = f"{html_url.rstrip('/')}/blob/{sha}"
        made = cls(base, paths, shown)
        return cls(base, paths, shown, tuple(import_findings(report, tree, made.link)))

    def link(self, rel: str, line: int | None) -> str:
        """`rel:line` linked to the file at the commit."""
        anchor = f"#L{line}" if line else ""
        label = f"{rel}:{line}" if line else rel
        return f"[{code(label)}]({self.blob_base}/{quote(rel)}{anchor})"

    def where(self, filename: str, line: int) -> str:
        """A recorded location: a link when the file is in the checkout, else the recorded text."""
        rel = self.paths.get(filename)
        return self.link(rel, line) if rel else code(f"{filename}:{line}")


def _as_recorded(report: Report) -> str:
    if not runnable(report):
        return ""  # what anyone could send is never offered as a command
    if not report.argv or report.argv[0] in ("-c", "-"):
        return ""  # the program text itself is not recorded
    return " ".join(["python", *report.argv]) if report.argv[0].endswith(".py") else " ".join(report.argv)
