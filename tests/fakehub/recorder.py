"""Whole exchanges (request and answer) for the contract tests, which check them against GitHub's published
descriptions. Two sinks: a hub's own in-memory list (`FakeHub(record=True)`, `hub.exchanges()`), and JSON
lines under `$FAKEHUB_RECORD_DIR` (one file per process), so a test session collects what every hub saw,
including hubs in child processes. Tokens are never recorded: the Authorization header is left out."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

ENV = "FAKEHUB_RECORD_DIR"
#: Request headers the contracts look at (never Authorization).
REQUEST_HEADERS = ("accept", "content-type", "x-github-api-version", "graphql-features", "if-none-match")


def exchange(
    method: str,
    path: str,
    query: str,
    request_headers: Any,
    request_body: bytes,
    status: int,
    response_headers: dict[str, str],
    response_body: bytes,
) -> dict[str, Any]:
    """One exchange as plain JSON data; binary bodies (zips, diffs) are kept as their size only."""
    wanted = {name: request_headers.get(name) for name in REQUEST_HEADERS if request_headers.get(name) is not None}
    return {
        "method": method,
        "path": path,
        "query": query,
        "request_headers": wanted,
        "request_body": text(request_body),
        "status": status,
        "headers": dict(response_headers),
        "body": text(response_body),
        "body_size": len(response_body),
    }


def text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8") if body else ""
    except UnicodeDecodeError:
        return None


class FileSink:
    """Appends exchanges as JSON lines to `<dir>/<pid>.jsonl`; the directory comes from the environment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        directory = os.environ.get(ENV)
        if not directory:
            return
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self.lock, open(Path(directory) / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as sink:
            sink.write(line)


def read_dir(directory: Path) -> list[dict[str, Any]]:
    """Everything the hubs of a session recorded (a torn last line of a killed process is skipped)."""
    found: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


FILES = FileSink()
