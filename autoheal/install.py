"""Put the hook into a venv (and take it out again, leaving the venv as it was).

What goes into the venv's site-packages, in the default mode (PTH_MODE):
  autoheal_hook.pth      `import _autoheal_boot`, run by `site` at every start-up (see PTH_LINE)
  _autoheal_boot.py      autoheal/boot.py, the start-up half
or with `--sitecustomize` (SITECUSTOMIZE_MODE), cheaper, as `site` looks for that module anyway:
  sitecustomize.py       autoheal/boot.py, which first runs the sitecustomize found without it
  _autoheal_chained_sitecustomize.py
                         the venv's own sitecustomize.py, if it had one, moved here (with its
                         .pyc files) untouched; uninstall moves it back
and in both:
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

PTH_MODE = "pth"
SITECUSTOMIZE_MODE = "sitecustomize"
PTH = "autoheal_hook.pth"
BOOT = "_autoheal_boot"
SITECUSTOMIZE = "sitecustomize"
CHAINED = "_autoheal_chained_sitecustomize"  # boot._find_chained looks for this file
MARKER = b"# autoheal start-up hook"  # boot.py's first line: tells our sitecustomize.py from the venv's own
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

    Without `site` the interpreter does not know it is in a venv, so the venv is passed in as the install base,
    and the venv scheme is named: Debian's and Ubuntu's Python would otherwise pick `posix_local`
    (`local/lib/.../dist-packages`) without `site`.
    """
    code = (
        "import os, sys, sysconfig; names = sysconfig.get_scheme_names(); "
        "scheme = 'venv' if 'venv' in names else 'nt' if os.name == 'nt' else 'posix_prefix'; "
        "print(sysconfig.get_path('purelib', scheme, vars={'base': sys.argv[1], 'platbase': sys.argv[1]}))"
    )
    site = Path(_ask(venv, code))
    if not site.is_dir() or venv not in site.parents:
        raise InstallError(f"{venv} has no site-packages directory of its own")
    return site


def install(venv: Path, mode: str = PTH_MODE) -> Path:
    """Install or refresh the hook in `mode` (replacing the other one); returns the file that starts it.

    Running it twice changes nothing more.
    """
    site = site_packages(venv)
    if mode == SITECUSTOMIZE_MODE:
        _check_sitecustomize_runs(venv, site)
    created = _created_dirs(site) or [d for d in ("__pycache__",) if not (site / d).exists()]
    _remove_files(site)
    _copy_hook_modules(site / LIB / "autoheal")
    for package in DEPENDENCIES:
        _copy_tree(resources.files(package), site / LIB / package)
    (site / LIB / "manifest.json").write_text(json.dumps({"created_dirs": created}), encoding="utf-8")
    if mode == SITECUSTOMIZE_MODE:
        return _install_sitecustomize(venv, site)
    return _install_pth(venv, site)


def uninstall(venv: Path) -> bool:
    """Remove everything install() added, in either mode; False if it was not installed."""
    site = site_packages(venv)
    if _mode(site) is None and not (site / LIB).exists():
        return False
    created = _created_dirs(site)
    _remove_files(site)
    for name in created:
        try:
            (site / name).rmdir()  # only if empty: something else may have used it since
        except OSError:
            pass
    return True


def installed_mode(venv: Path) -> str | None:
    """PTH_MODE or SITECUSTOMIZE_MODE, whichever is installed in the venv; None if neither is."""
    return _mode(site_packages(venv))


def _mode(site: Path) -> str | None:
    if (site / PTH).exists():
        return PTH_MODE
    if _is_ours(site / f"{SITECUSTOMIZE}.py"):
        return SITECUSTOMIZE_MODE
    return None


def _install_pth(venv: Path, site: Path) -> Path:
    boot = site / f"{BOOT}.py"
    boot.write_bytes(_boot_source())
    _compile(venv, [boot, site / LIB])
    pth = site / PTH
    pth.write_text(PTH_LINE, encoding="utf-8")  # last: a half install stays inert
    return pth


def _install_sitecustomize(venv: Path, site: Path) -> Path:
    """The boot module becomes sitecustomize.py; the venv's own one is kept as CHAINED, for boot to run first."""
    hook = site / f"{SITECUSTOMIZE}.py"
    if hook.exists():
        _move_module(site, SITECUSTOMIZE, CHAINED)
    hook.write_bytes(_boot_source())
    _compile(venv, [hook, site / LIB])
    return hook


def _check_sitecustomize_runs(venv: Path, site: Path) -> None:
    """Refuse where `site` would import another sitecustomize than ours, which then could not chain to it."""
    packaged = [
        site / SITECUSTOMIZE,
        *(p for p in site.glob(f"{SITECUSTOMIZE}.*") if p.suffix in (".so", ".pyd", ".pyc")),
    ]
    for path in packaged:
        if path.exists():
            raise InstallError(
                f"{path} is not a sitecustomize.py that autoheal can chain to; use the default .pth mode"
            )
    code = (
        "import sys; from importlib.machinery import PathFinder; "
        "s = PathFinder.find_spec('sitecustomize', sys.path); print(s.origin if s else '')"
    )
    earlier = _ask(venv, code)  # on the interpreter's own sys.path, which comes before site-packages
    if earlier:
        raise InstallError(
            f"{earlier} would be imported instead of a sitecustomize.py in the venv; use the default .pth mode"
        )


def _remove_files(site: Path) -> None:
    """The .pth first and _autoheal_lib (with the manifest) last: an interrupted removal is finished by the next."""
    (site / PTH).unlink(missing_ok=True)
    _restore_sitecustomize(site)
    _remove_module(site, BOOT)
    shutil.rmtree(site / LIB, ignore_errors=True)


def _restore_sitecustomize(site: Path) -> None:
    """Take our sitecustomize.py out, and put the venv's own one back under its name (never over another)."""
    hook = site / f"{SITECUSTOMIZE}.py"
    if _is_ours(hook):
        _remove_module(site, SITECUSTOMIZE)
    if (site / f"{CHAINED}.py").exists() and not hook.exists():
        _move_module(site, CHAINED, SITECUSTOMIZE)


def _is_ours(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(MARKER)) == MARKER
    except OSError:
        return False


def _remove_module(site: Path, name: str) -> None:
    for cached in (site / "__pycache__").glob(f"{name}.*.pyc"):
        cached.unlink()
    (site / f"{name}.py").unlink(missing_ok=True)


def _move_module(site: Path, name: str, new_name: str) -> None:
    """Rename a module's source and .pyc files: bytes, mode and times stay, so its .pyc files stay valid."""
    for cached in (site / "__pycache__").glob(f"{name}.*.pyc"):
        cached.replace(cached.with_name(new_name + cached.name[len(name) :]))
    (site / f"{name}.py").replace(site / f"{new_name}.py")  # last: until then the move is not done


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


def _boot_source() -> bytes:
    return resources.files("autoheal").joinpath("boot.py").read_bytes()


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _ask(venv: Path, code: str) -> str:
    """What `code` prints in the venv's python; `-S` keeps the hook (and the venv's sitecustomize) out of it."""
    try:
        done = subprocess.run(
            [str(_python(venv)), "-I", "-S", "-c", code, str(venv)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as e:
        raise InstallError(f"cannot run the venv's python: {e}") from None
    return done.stdout.strip()


def _compile(venv: Path, paths: list[Path]) -> None:
    """Hash-based .pyc files: the same bytes on every install, and no source check at start-up.

    Forced: an interpreter that started during the install may have written a .pyc of its own.
    """
    command = [str(_python(venv)), "-I", "-S", "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*command, *map(str, paths)], check=True, capture_output=True)
