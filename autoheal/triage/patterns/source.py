"""Source surgery shared by the patterns: find the crashing line, splice AST spans, add a helper once."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autoheal.report import Frame, Report

from ..crash import innermost_app_frame, locate
from ..failure import same_text

Span = tuple[int, int, int, int]  # lineno, col, end_lineno, end_col as ast reports them (1-based lines, byte cols)


def current_line(text: str, frame: Frame) -> int | None:
    """Where the frame's line is in today's file: its recorded number if the text still matches,
    else the one line equal to the recorded context; None when the code moved beyond recognition.

    A recorded line the reporter's scrubber redacted (`token = [REDACTED]`) still matches the line of
    the repository it came from: each `[REDACTED]` stands for any text."""
    lines = text.splitlines()
    want = (frame.context_line or "").strip()
    if 0 < frame.lineno <= len(lines) and (not want or same_text(want, lines[frame.lineno - 1].strip())):
        return frame.lineno
    hits = [i + 1 for i, line in enumerate(lines) if want and same_text(want, line.strip())]
    return hits[0] if len(hits) == 1 else None


@dataclass(frozen=True)
class CrashSite:
    """The innermost in-app frame of a report, found in today's checkout and parsed."""

    index: int  # the frame's position in report.frames
    frame: Frame
    path: Path
    rel: str  # the path inside the checkout, for titles and explanations
    text: str
    module: ast.Module
    lineno: int | None  # where the frame's line is today (None: moved beyond recognition)


def crash_site(report: Report, tree: Path) -> CrashSite | None:
    """Where the crash happened in the checkout, or None if that file is not there or does not parse."""
    found = innermost_app_frame(report)
    path = locate(tree, found[1].filename, report.cwd) if found else None
    parsed = parse(path) if path else None
    if not found or not path or not parsed:
        return None
    text, module = parsed
    rel = path.relative_to(tree.resolve()).as_posix()
    return CrashSite(found[0], found[1], path, rel, text, module, current_line(text, found[1]))


def parse(path: Path) -> tuple[str, ast.Module] | None:
    """The text and syntax tree of a Python file, or None if it does not parse."""
    try:
        text = path.read_text(encoding="utf-8")
        return text, ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def span(node: ast.expr | ast.stmt) -> Span:
    return node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or 0


def segment(text: str, where: Span) -> str:
    """The source text of a span."""
    start, end = _offsets(text, where)
    return text[start:end]


def splice(text: str, edits: list[tuple[Span, str]]) -> str:
    """Replace each span with its new text; spans must not overlap."""
    for where, new in sorted(edits, key=lambda e: e[0], reverse=True):
        start, end = _offsets(text, where)
        text = text[:start] + new + text[end:]
    return text


def ensure_helper(text: str, tree: ast.Module, name: str, helper: str, imports: tuple[str, ...]) -> str:
    """Add `import X` lines and a top-level helper after the module's imports, unless `name` exists."""
    if any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body):
        return text
    have = {alias.name for n in tree.body if isinstance(n, ast.Import) for alias in n.names}
    missing = [f"import {module}\n" for module in imports if module not in have]
    lines = text.splitlines(keepends=True)
    at = after_imports(tree)
    block = "".join(missing) + "\n\n" + helper.strip("\n") + "\n\n"
    if at and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    return "".join(lines[:at]) + block + "".join(lines[at:])


def enclosing_statement(tree: ast.Module, lineno: int) -> ast.stmt | None:
    """The innermost simple statement that covers `lineno`."""
    covering = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt)
        and node.lineno <= lineno <= (node.end_lineno or node.lineno)
        and not _is_compound_over(node, lineno)
    ]
    return max(covering, key=lambda node: node.lineno, default=None)


def _is_compound_over(node: ast.stmt, lineno: int) -> bool:
    """A compound statement (if/for/def...) whose body, not header, holds the line."""
    body = getattr(node, "body", None)
    return bool(body) and isinstance(body, list) and body[0].lineno <= lineno


def after_imports(tree: ast.Module) -> int:
    """Line number after the leading docstring and import statements (0 = top of file)."""
    end = 0
    for index, node in enumerate(tree.body):
        is_docstring = index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if not (is_docstring or isinstance(node, (ast.Import, ast.ImportFrom))):
            break
        end = node.end_lineno or node.lineno
    return end


def _offsets(text: str, where: Span) -> tuple[int, int]:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    lineno, col, end_lineno, end_col = where

    def at(line: int, byte_col: int) -> int:
        return starts[-1] if line > len(lines) else starts[line - 1] + _chars(lines[line - 1], byte_col)

    return at(lineno, col), at(end_lineno, end_col)


def _chars(line: str, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; strings count characters."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
