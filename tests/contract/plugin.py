"""Session-wide contract check: every hub of the test session (in this process or in child processes)
records its exchanges under one directory; at the end of the session each one is checked against GitHub's
published descriptions, the counts are printed, and any mismatch fails the session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fakehub import recorder

from .check import Summary, check_all

KEY = pytest.StashKey[Path]()
SUMMARY = pytest.StashKey[Summary]()


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(recorder.ENV) or hasattr(config, "workerinput"):
        return
    directory = Path(tempfile.mkdtemp(prefix="fakehub-exchanges-"))
    config.stash[KEY] = directory
    os.environ[recorder.ENV] = str(directory)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    directory = session.config.stash.get(KEY, None)
    if directory is None:
        return
    os.environ.pop(recorder.ENV, None)
    exchanges = recorder.read_dir(directory)
    shutil.rmtree(directory, ignore_errors=True)
    if not exchanges:
        return
    summary = check_all(exchanges)
    session.config.stash[SUMMARY] = summary
    if summary.mismatches and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    summary = config.stash.get(SUMMARY, None)
    if summary is None:
        return
    terminalreporter.section("fakehub contract (GitHub's published descriptions)")
    for line in summary.lines(limit=40):
        terminalreporter.write_line(line)
