"""A small world for triage tests and the benchmark: fakehub, a bare git remote holding a sample project,
a user's checkout where the sample crashes under the installed autoheal hook (which files the issue), and
the CI checkout triage works in."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).parent / "samples"
REPO = "octo/hello"
# Stand-in for the real PyYAML wheel, so the missing-module fix can be verified with no network.
YAML_STAND_IN = {"yaml/__init__.py": "def safe_dump(data):\n    return repr(data)\n"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **IDENTITY}
    ).stdout.strip()


IDENTITY = {
    "GIT_AUTHOR_NAME": "dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


@dataclass
class World:
    hub: object  # fakehub.FakeHub
    root: Path
    sample: str
    branch: str
    argv: tuple[str, ...] = ("app.py",)  # what the user runs with the venv's python
    crash_env: tuple[tuple[str, str], ...] = ()  # extra variables of the user's environment
    find_links: str = ""  # more wheel directories for pip (space-separated)
    console_script: bool = False  # argv[0] is a console script of the user's venv, not a python argument

    @property
    def remote(self) -> Path:
        return self.root / "remote.git"

    @property
    def user(self) -> Path:
        return self.root / "user"

    @property
    def ci(self) -> Path:
        return self.root / "ci"

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    def env(self) -> dict[str, str]:
        """What Actions would give triage (and the crashing program) to reach GitHub."""
        return {
            "GITHUB_API_URL": self.hub.api_url,
            "GITHUB_TOKEN": self.hub.default_token,
            "AUTOHEAL_REPO": REPO,
            "AUTOHEAL_STATE_DIR": str(self.root / "state"),
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": " ".join(filter(None, [str(self.root / "wheels"), self.find_links])),
            "AUTOHEAL_TIMEOUT": "20",
        }

    def crash(self, *args: str) -> int:
        """Run the sample in the user's checkout under the hook; the number of the issue autoheal filed."""
        before = set(self.hub.state.get_repo(REPO).issues)
        env = {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.root / "home"),
            "LANG": "C.UTF-8",
            **self.env(),
            "AUTOHEAL_DELIVERY": "sync",  # filed before the program exits, so the issue is there to look at
            **dict(self.crash_env),
        }
        python = [] if self.console_script else [str(self.venv / "bin" / "python")]
        command = [*python, *self.argv]
        if self.console_script:
            command[0] = str(self.venv / "bin" / command[0])
        done = subprocess.run(
            [*command, *args],
            cwd=self.user,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0, done.stderr
        new = sorted(set(self.hub.state.get_repo(REPO).issues) - before)
        assert len(new) == 1, f"expected one filed issue, got {new}: {done.stderr}"
        return new[0]

    def remote_branches(self) -> dict[str, str]:
        refs = git(self.remote, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
        return dict(line.split() for line in refs.splitlines())


def make_world(hub: object, root: Path, sample: str, branch: str = "main") -> World:
    world = World(hub, root, sample, branch)
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", branch, str(world.remote)], check=True)
    shutil.copytree(SAMPLES / sample, world.user)
    git(world.user, "init", "--quiet", "-b", branch)
    git(world.user, "add", ".")
    git(world.user, "commit", "--quiet", "-m", f"{sample} sample")
    git(world.user, "remote", "add", "origin", str(world.remote))
    git(world.user, "push", "--quiet", "origin", branch)
    git(root, "clone", "--quiet", str(world.remote), str(world.ci))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(world.venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "autoheal", "install", "--venv", str(world.venv)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    build_wheel(root / "wheels", "PyYAML", "0.0.0", YAML_STAND_IN)
    hub.state.get_repo(REPO).default_branch = branch
    return world


def build_wheel(out: Path, distribution: str, version: str, files: dict[str, str]) -> Path:
    """A minimal valid pure-Python wheel, written without any build tool."""
    out.mkdir(parents=True, exist_ok=True)
    info = f"{distribution.replace('-', '_')}-{version}.dist-info"
    contents = {
        **files,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: triage-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{name},sha256={_digest(text)},{len(text.encode())}" for name, text in contents.items()]
    contents[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = out / f"{distribution.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in contents.items():
            archive.writestr(name, text)
    return wheel


def _digest(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
