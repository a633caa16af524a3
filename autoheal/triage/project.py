"""How a checkout is installed, the way its own files say: a package built by its PEP 517 backend
(setuptools, Poetry, PDM, hatch, flit...), a `[project]` without a build system (an application, as uv or
Poetry's non-package mode run it), or requirements files; and installing it into a venv with pip.

Build tools are installed into the verification venv once and builds run without isolation there, so the
before and after installs of one verification never fetch the same dependency twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import poetry, toml

PIP_TIMEOUT = 600.0
LEGACY_BACKEND = ("setuptools>=40.8.0",)  # what pip assumes for a setup.py without pyproject.toml


@dataclass(frozen=True)
class Project:
    root: Path
    kind: str  # "package", "dependencies" (a [project] nobody builds), "requirements" or "bare"
    build_requires: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    requirement_files: tuple[str, ...] = ()

    def describe(self) -> str:
        """How it was installed, for the verification log."""
        parts = {
            "package": "`pip install -e .` with its build backend",
            "dependencies": "its `[project]` dependencies (no build system: an application)",
            "requirements": "its requirements files",
            "bare": "nothing to install (no dependency file)",
        }[self.kind]
        files = [f"`-r {name}`" for name in self.requirement_files if self.kind != "requirements"]
        return parts + (" plus " + ", ".join(files) if files else "")


def pyproject(root: Path) -> dict[str, Any]:
    """The parsed pyproject.toml, or {} when there is none or it does not parse."""
    try:
        return toml.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, ImportError):
        return {}


def detect(root: Path) -> Project:
    """What installing this checkout means."""
    data = pyproject(root)
    requirements = tuple(name for name in ("requirements.txt",) if (root / name).is_file())
    system = data.get("build-system")
    if isinstance(system, dict) or (root / "setup.py").is_file():
        requires = system.get("requires", []) if isinstance(system, dict) else LEGACY_BACKEND
        return Project(root, "package", tuple(map(str, requires)) or LEGACY_BACKEND, (), requirements)
    listed = (data.get("project") or {}).get("dependencies") or poetry.requirements(data)
    if "project" in data or "poetry" in data.get("tool", {}):
        return Project(root, "dependencies", (), tuple(map(str, listed)), requirements)
    return Project(root, "requirements" if requirements else "bare", (), (), requirements)


def install(python: Path, project: Project, *, tools: bool) -> str | None:
    """Install the project into the venv of `python` (build tools too when `tools`); why it failed, or None."""
    if project.kind == "package" and tools:
        problem = requirements(python, list(project.build_requires), what="the build backend")
        extra = _backend_requires(python, project) if not problem else []
        if isinstance(extra, str):
            return extra
        problem = problem or (requirements(python, extra, what="the build backend's extras") if extra else None)
        if problem:
            return problem
    args = [a for name in project.requirement_files for a in ("-r", str(project.root / name))]
    if project.kind == "package":
        return _install(python, ["-e", str(project.root), *args], "the project", in_place=True)
    if project.kind == "dependencies":
        args = [*project.dependencies, *args]
    return _install(python, args, "the project", in_place=False) if args else None


def requirements(python: Path, names: list[str], *, what: str) -> str | None:
    """Install requirement strings into the venv of `python`; why it failed, or None."""
    return _install(python, names, what, in_place=False)


def _install(python: Path, args: list[str], what: str, *, in_place: bool) -> str | None:
    """uv when it is there (several times faster), else pip; `in_place`: build with the venv's own backend."""
    uv = _uv()
    if uv:
        isolation = ["--no-build-isolation"] if in_place else []
        command = [uv, "pip", "install", "-q", "--python", str(python), *_uv_index(), *isolation, *args]
    else:
        isolation = ["--no-build-isolation", "--use-pep517"] if in_place else []
        command = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-compile"]
        command += [*isolation, *args]  # a throw-away venv needs no byte-code: compiling is most of an install
    return _tool(command, what)


_ASK_BACKEND = """
import importlib, json, sys
sys.path[:0] = sys.argv[2:]
name, _, attr = sys.argv[1].partition(":")
backend = importlib.import_module(name)
for part in filter(None, attr.split(".")):
    backend = getattr(backend, part)
need = []
for hook in ("get_requires_for_build_editable", "get_requires_for_build_wheel"):
    if hasattr(backend, hook):
        need += getattr(backend, hook)()
print("\\nautoheal-requires=" + json.dumps(sorted(set(need))))
"""


def _backend_requires(python: Path, project: Project) -> list[str] | str:
    """What the backend asks for beyond `build-system.requires` (hatchling's `editables`, ...): pip installs
    these itself only with build isolation, which would fetch the backend again for every build."""
    system = pyproject(project.root).get("build-system") or {}
    backend = str(system.get("build-backend") or "setuptools.build_meta:__legacy__")
    paths = [str(project.root / p) for p in system.get("backend-path", [])]
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k.upper()}
    try:
        done = subprocess.run(
            [str(python), "-c", _ASK_BACKEND, backend, *paths],
            cwd=project.root,
            capture_output=True,
            text=True,
            env=env,
            timeout=PIP_TIMEOUT,
        )
        answer = [line for line in done.stdout.splitlines() if line.startswith("autoheal-requires=")]
        found = json.loads(answer[-1].partition("=")[2]) if done.returncode == 0 and answer else None
        why = done.stderr.strip()[-300:]
    except subprocess.TimeoutExpired:
        found, why = None, f"no answer in {PIP_TIMEOUT:.0f} s"
    except ValueError:
        found, why = None, "its answer was not a list"
    if not isinstance(found, list):
        return f"the build backend {backend} did not say what it needs: {why}"
    return [str(r) for r in found]


def build(python: Path, project: Project, out: Path) -> str | None:
    """Build the project's wheel as a release would (packages only); why it failed, or None."""
    if project.kind != "package":
        return None
    uv = _uv()
    if uv:
        command = [uv, "build", "-q", "--wheel", "--no-build-isolation", "--python", str(python), "--out-dir", str(out)]
    else:
        command = [sys.executable, "-m", "pip", "--python", str(python), "wheel", "-q", "--no-deps"]
        command += ["--no-build-isolation", "--use-pep517", "-w", str(out)]
    return _tool([*command, str(project.root)], "the patched project (wheel build)")


def _tool(command: list[str], what: str) -> str | None:
    """Run an installer without a token in its environment; the failure, or None."""
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k.upper()}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=PIP_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"installing {what} took longer than {PIP_TIMEOUT:.0f} s"
    if done.returncode:
        return f"{what} could not be installed: {done.stderr.strip()[-500:]}"
    return None


def _uv() -> str | None:
    """The uv binary: the `uv` distribution's, else one on PATH."""
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _uv_index() -> list[str]:
    """pip's index settings from the environment, for uv (which reads only its own UV_* variables)."""
    args = ["--no-index"] if os.environ.get("PIP_NO_INDEX", "").lower() in ("1", "true", "yes", "on") else []
    if os.environ.get("PIP_INDEX_URL"):
        args += ["--index-url", os.environ["PIP_INDEX_URL"]]
    args += [a for url in os.environ.get("PIP_EXTRA_INDEX_URL", "").split() for a in ("--extra-index-url", url)]
    links = [p for p in os.environ.get("PIP_FIND_LINKS", "").split() if "://" in p or Path(p).exists()]
    return args + [a for link in links for a in ("--find-links", link)]  # pip ignores a missing directory


def installed_version(python: Path, distribution: str) -> str | None:
    """The version of `distribution` in the venv of `python`, read from its metadata there."""
    code = "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))"
    done = subprocess.run([str(python), "-I", "-c", code, distribution], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() or None if done.returncode == 0 else None


def provides(python: Path, distribution: str, module: str) -> bool:
    """Whether the installed `distribution` really ships the top-level package or module of `module`."""
    code = (
        "import sys, importlib.metadata as m\n"
        "top = sys.argv[2].split('.')[0]\n"
        "files = m.distribution(sys.argv[1]).files or []\n"
        "print(any(f.parts[0] in (top, top + '.py') or f.name.split('.')[0] == top and len(f.parts) == 1"
        " for f in files))"
    )
    done = subprocess.run(
        [str(python), "-I", "-c", code, distribution, module], capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip() == "True"
