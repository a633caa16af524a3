"""Put the hook into a venv (and take it out again, leaving the venv as it was).

What goes into the venv's site-packages:
  autoheal_hook.pth      `import _autoheal_boot`, run by `site` at every start-up (see PTH_LINE)
  _autoheal_boot.py      autoheal/boot.py, the start-up half
  _autoheal_lib/         the parts of autoheal a report needs, urllib3 and platformdirs, so the venv keeps
                         working when the zipapp moves; plus manifest.json
Files are compiled with the venv's own interpreter, because start-up must not
pay for compiling and PYTHONDONTWRITEBYTECODE may be set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

PTH = "autoheal_hook.pth"
BOOT = "_autoheal_boot"
LIB = "_autoheal_lib"
DEPENDENCIES = ("urllib3", "platformdirs")
HOOK_SUBPACKAGES = ("hooks", "sinks")  # with autoheal's top-level modules: all a crash report needs
# Importing the boot module installs the hook, so the line is one bare import: `site` compiles the
# line at every start-up (twice in a venv), and each further statement adds to that. A line that
# loads the .pyc itself, skipping the import system, measured no faster: its longer source costs what
# the skipped search saves. The import system also copes with a .pyc that does not fit the interpreter
# (another Python's magic number, a truncated file) by compiling the source instead.
PTH_LINE = f"import {BOOT}\n"


class InstallError(Exception):
    """The venv cannot be used; the message is one line for the user."""


def find_venv(path: str | None) -> Path:
    """The venv given, else the active one (VIRTUAL_ENV, or the one running this code)."""
    if path:
        venv = Path(path)
    elif os.environ.get("VIRTUAL_ENV"):
        venv = Path(os.environ["VIRTUAL_ENV"])
    elif sys.prefix != sys.base_prefix:
        venv = Path(sys.prefix)
    else:
        raise InstallError("no active venv; pass --venv PATH")
    if not (venv / "pyvenv.cfg").is_file():
        raise InstallError(f"{venv} is not a venv (no pyvenv.cfg)")
    return venv.absolute()


def site_packages(venv: Path) -> Path:
    """Asked of the venv's own interpreter (it may be another Python version than ours).

    `-S` keeps the hook out of the probe, but without `site` the interpreter does not
    know it is in a venv, so the venv is passed in as the install base.
    """
    code = "import sys, sysconfig; print(sysconfig.get_path('purelib', vars={'base': sys.argv[1], 'platbase': sys.argv[1]}))"
    try:
        done = subprocess.run([str(_python(venv)), "-I", "-S", "-c", code, str(venv)],
                              capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        raise InstallError(f"cannot run the venv's python: {e}") from None
    site = Path(done.stdout.strip())
    if not site.is_dir() or venv not in site.parents:
        raise InstallError(f"{venv} has no site-packages directory of its own")
    return site


def install(venv: Path) -> Path:
    """Install or refresh the hook; returns the .pth path. Running it twice changes nothing more."""
    site = site_packages(venv)
    created = _created_dirs(site) or [d for d in ("__pycache__",) if not (site / d).exists()]
    _remove_files(site)
    _copy_hook_modules(site / LIB / "autoheal")
    for package in DEPENDENCIES:
        _copy_tree(resources.files(package), site / LIB / package)
    (site / f"{BOOT}.py").write_bytes(resources.files("autoheal").joinpath("boot.py").read_bytes())
    (site / LIB / "manifest.json").write_text(json.dumps({"created_dirs": created}), encoding="utf-8")
    _compile(venv, [site / f"{BOOT}.py", site / LIB])
    pth = site / PTH
    pth.write_text(PTH_LINE, encoding="utf-8")  # last: a half install stays inert
    return pth


def uninstall(venv: Path) -> bool:
    """Remove everything install() added; False if it was not installed."""
    site = site_packages(venv)
    if not (site / PTH).exists() and not (site / LIB).exists():
        return False
    created = _created_dirs(site)
    _remove_files(site)
    for name in created:
        try:
            (site / name).rmdir()  # only if empty: something else may have used it since
        except OSError:
            pass
    return True


def is_installed(venv: Path) -> bool:
    return (site_packages(venv) / PTH).exists()


def _remove_files(site: Path) -> None:
    (site / PTH).unlink(missing_ok=True)
    (site / f"{BOOT}.py").unlink(missing_ok=True)
    for cached in (site / "__pycache__").glob(f"{BOOT}.*.pyc"):
        cached.unlink()
    shutil.rmtree(site / LIB, ignore_errors=True)


def _created_dirs(site: Path) -> list[str]:
    try:
        return json.loads((site / LIB / "manifest.json").read_text(encoding="utf-8"))["created_dirs"]
    except (OSError, ValueError, KeyError):
        return []


def _copy_hook_modules(target: Path) -> None:
    package = resources.files("autoheal")
    target.mkdir(parents=True)
    for item in package.iterdir():
        if item.is_file() and item.name.endswith(".py"):
            (target / item.name).write_bytes(item.read_bytes())
    for name in HOOK_SUBPACKAGES:
        _copy_tree(package.joinpath(name), target / name)


def _copy_tree(source: Traversable, target: Path) -> None:
    """Copy a package's sources (from a directory or from inside the zipapp)."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_dir() and item.name != "__pycache__":
            _copy_tree(item, target / item.name)
        elif item.is_file() and not item.name.endswith((".pyc", ".pyo")):
            (target / item.name).write_bytes(item.read_bytes())


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _compile(venv: Path, paths: list[Path]) -> None:
    """Hash-based .pyc files: the same bytes on every install, and no source check at start-up."""
    command = [str(_python(venv)), "-I", "-S", "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*command, *map(str, paths)], check=True, capture_output=True)
