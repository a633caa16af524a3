"""Where the GitHub token comes from; it is only ever held in memory."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping


def find_token(environ: Mapping[str, str] | None = None, timeout: float = 2.0) -> tuple[str | None, str]:
    """(token, where it came from): GITHUB_TOKEN, GH_TOKEN, then `gh auth token`."""
    environ = os.environ if environ is None else environ
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        if environ.get(name, "").strip():
            return environ[name].strip(), name
    gh = shutil.which("gh", path=environ.get("PATH"))
    if gh and timeout > 0:
        try:
            done = subprocess.run([gh, "auth", "token"], capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.SubprocessError):
            return None, "none"
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip(), "gh auth token"
    return None, "none"
