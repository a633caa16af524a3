"""What a pattern proposes: file edits plus what a reviewer and the verifier need to know about them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fix:
    pattern: str
    title: str  # commit subject and PR title
    explanation: str  # Markdown: the cause, and what the patch changes
    edits: dict[str, str]  # path relative to the checkout -> new full content
    installs: bool = False  # the patch changes dependencies: reinstall them before the run after it
    clean_exit_naming: str | None = None  # after the patch a clean (traceback-free) exit naming this is a pass
    provides: tuple[str, str] | None = None  # (distribution, module): the installed distribution must ship it
    versioned: Callable[[str], Fix | None] | None = None  # the same fix once the verified version is known

    def apply(self, tree: Path) -> None:
        for rel, content in self.edits.items():
            target = tree / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
