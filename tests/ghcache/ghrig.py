"""Runs the real gh through the shim against fakehub, with an isolated home and cache."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from fakehub import FakeHub
from support import REAL_GH, REAL_PYTHON, ROOT


@dataclass
class GhRig:
    """Runs gh through the shim (or directly) with an isolated home and cache."""

    hub: FakeHub
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def cache_dir(self) -> Path:
        return Path(self.env["GH_CACHE_DIR"])

    def run(
        self, *args: str, shim: bool = True, extra: dict[str, str] | None = None, **kwargs
    ) -> subprocess.CompletedProcess[bytes]:
        env = {**self.env, **(extra or {})}
        program = str(ROOT / "shims" / "gh") if shim else REAL_GH
        return subprocess.run([program, *args], env=env, capture_output=True, timeout=120, cwd=self.home, **kwargs)

    def calls(self) -> int:
        """API requests fakehub has served since the last reset."""
        return self.hub.upstream_count()


def rig_env(hub: FakeHub, home: Path, cache_dir: Path) -> dict[str, str]:
    env = {**os.environ, **hub.gh_env(home=home)}
    env.update(
        {
            "PATH": os.pathsep.join([str(ROOT / "shims"), str(Path(REAL_GH).parent), "/usr/bin", "/bin"]),
            "GH_CACHE_PYTHON": REAL_PYTHON,
            "GH_CACHE_DIR": str(cache_dir),
            "GH_REPO": "",
        }
    )
    for name in [
        name for name in env if name.startswith("GH_CACHE_") and name not in ("GH_CACHE_PYTHON", "GH_CACHE_DIR")
    ]:
        del env[name]
    return env
