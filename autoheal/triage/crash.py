"""The crash as triage sees it: the core's report read back from an issue, plus the questions patterns ask."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from autoheal.report import Frame, Report, from_dict, parse_issue_body


def from_issue_body(body: str) -> Report | None:
    """The report carried by an autoheal issue body, or None when the body has no readable report."""
    data = parse_issue_body(body)
    if data is None:
        return None
    try:
        return from_dict(data)
    except (TypeError, ValueError):
        return None


def short_type(name: str) -> str:
    """`urllib.error.URLError` -> `URLError`: patterns match on the class name."""
    return name.rsplit(".", 1)[-1]


def exception_types(report: Report) -> list[str]:
    """The short type names of the exception and of every cause in its chain."""
    return [short_type(report.exc_type), *(short_type(c.exc_type) for c in report.chain)]


def messages(report: Report) -> list[str]:
    """The messages of the exception and of its chain, nearest first."""
    return [report.message, *(c.message for c in report.chain)]


def innermost_app_frame(report: Report) -> tuple[int, Frame] | None:
    """Index and frame of the deepest frame in the application's own code: where a fix goes."""
    for index in range(len(report.frames) - 1, -1, -1):
        if report.frames[index].in_app:
            return index, report.frames[index]
    return None


def locate(tree: Path, filename: str, cwd: str = "") -> Path | None:
    """The file of the checkout `tree` that a path recorded on another machine refers to.

    Tries the path relative to the recorded cwd, then ever shorter suffixes of it, and
    only ever returns a regular file inside `tree`.
    """
    path = PurePosixPath(filename)
    candidates = []
    if cwd and not path.is_absolute():
        path = PurePosixPath(cwd) / path
    if cwd and path.is_relative_to(cwd):
        candidates.append(path.relative_to(cwd))
    parts = [p for p in path.parts if p not in ("/", "..", ".")]
    candidates += [PurePosixPath(*parts[i:]) for i in range(len(parts))]
    root = tree.resolve()
    for rel in candidates:
        found = (root / rel).resolve()
        if found.is_file() and found.is_relative_to(root):
            return found
    return None


def locate_dir(tree: Path, directory: str) -> Path:
    """The directory of `tree` matching the longest suffix of a recorded directory, else `tree` itself."""
    parts = [p for p in PurePosixPath(directory).parts if p not in ("/", "..", ".")]
    root = tree.resolve()
    for i in range(len(parts)):
        found = (root / PurePosixPath(*parts[i:])).resolve()
        if found.is_dir() and found.is_relative_to(root):
            return found
    return root
