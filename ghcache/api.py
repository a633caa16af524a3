"""The Python API: `GHCache(...).run(argv)` answers like `gh` through the shim itself.

Each call runs the shim's own entry point (`ghcache.shim.main`, the code the `gh` launcher runs) in a
child interpreter, so a call from Python takes exactly the path a call from a shell takes: the same
policy, key, tiers, single-flight lock, stale fallback and write invalidation, with nothing re-implemented
here. The child costs one interpreter start (tens of ms); a hit then replays the stored bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import IO, Any, NamedTuple

from . import config

# What shims/gh runs: the package directory first on sys.path, then the shim's main. `-c` puts the current
# directory ('') on sys.path, where a checkout's own `__future__.py` would run inside the shim: drop it.
_SHIM = (
    "import sys; sys.path[:] = [sys.argv.pop(1), *filter(None, sys.path)]; "
    "from ghcache.shim import main; sys.exit(main())"
)
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # a directory or a .pyz
# Isolated and without the site scan, as the launchers start it; elsewhere than Linux the shim may import
# platformdirs (for the default cache dir), which then must be found through site.
_FLAGS = ["-I", "-S"] if sys.platform.startswith("linux") else ["-E"]


class Result(NamedTuple):
    """What gh printed and its exit status; unpacks as `code, stdout, stderr`."""

    code: int
    stdout: Any  # str, or bytes with text=False
    stderr: Any


class GHCache:
    """A cached `gh` for Python programs.

    `cache_dir` is GH_CACHE_DIR (default: the user cache dir), `gh` the real gh (default: the first on PATH
    that is not a shim), `env` the environment gh runs in (default: this process's); any GH_CACHE_* setting
    can be passed in `env`. A malformed setting raises ValueError here, not at the first call.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        gh: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        python: str | None = None,
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        if cache_dir is not None:
            self.env["GH_CACHE_DIR"] = os.fspath(cache_dir)
        if gh is not None:
            self.env["GH_CACHE_REAL_GH"] = os.fspath(gh)
        self.python = python or sys.executable
        self.settings = config.load(self.env)  # BadValue is a ValueError with a one-line message

    def run(
        self,
        argv: Sequence[str],
        *,
        input: bytes | str | None = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
        text: bool = True,
    ) -> Result:
        """Run `gh *argv`: a cached read replays gh's stdout, stderr and exit code byte for byte; writes and
        anything unknown run the real gh (and make the reads they may change stale)."""
        if isinstance(argv, str):
            raise TypeError("argv is a list of arguments, e.g. ['pr', 'list'], not a string")
        data = input.encode() if isinstance(input, str) else input
        done = subprocess.run(
            [self.python, *_FLAGS, "-c", _SHIM, _PACKAGE_ROOT, *map(str, argv)],
            input=data,
            stdin=subprocess.DEVNULL if data is None else None,
            capture_output=True,
            env=self.env,
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
        code = 128 - done.returncode if done.returncode < 0 else done.returncode  # as a shell reports a signal
        if not text:
            return Result(code, done.stdout, done.stderr)
        return Result(code, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))

    def stats(self) -> dict[str, Any]:
        """The figures of `ghcache stats --json` for this cache dir: hits per tier, upstream calls saved, …"""
        from .cli import stats_report

        return stats_report(self.settings)

    def print_stats(self, file: IO[str] | None = None) -> None:
        """`ghcache stats` as a terminal shows it."""
        from .cli import stats_text

        print(stats_text(self.stats()), file=file if file is not None else sys.stdout)
