"""Build bin/ghcache.pyz and bin/autoheal.pyz: self-contained, runnable with only a system python3.
Next to ghcache.pyz go the interpreter that built it (ghcache.python) and the shim's packages unpacked and
compiled by it (ghcache.lib/), which the portable shims/gh starts from.

Pure-Python dependencies are vendored; every module is also precompiled (unchecked-hash .pyc next
to its source, which zipimport prefers) so no start-up is spent compiling.
"""

from __future__ import annotations

import hashlib
import os
import py_compile
import shutil
import subprocess
import sys
import zipapp
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ghcache import shimlib  # noqa: E402

BUILD = ROOT / "build" / "zipapp"
DEPENDENCIES = ["argh>=0.31", "urllib3>=2,<3", "platformdirs>=4"]
APPS = {
    "ghcache": "ghcache/__main__.py",
    "autoheal": "autoheal/__main__.py",
}
SHARED = ["ghstyle"]  # packages every app carries (the gh-style command line)


def vendor() -> Path:
    """Install the dependencies once per requirement set into a cached folder."""
    digest = hashlib.sha256("\n".join(DEPENDENCIES).encode()).hexdigest()[:12]
    target = BUILD / f"vendor-{digest}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-compile", "--target", str(target), *DEPENDENCIES],
            check=True,
        )
        for junk in target.glob("*.dist-info"):
            shutil.rmtree(junk)
        shutil.rmtree(target / "bin", ignore_errors=True)
        (target / ".complete").touch()
    return target


def compile_tree(tree: Path) -> None:
    for source in tree.rglob("*.py"):
        py_compile.compile(
            str(source),
            cfile=str(source) + "c",
            dfile=str(source.relative_to(tree)),
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )


def build(name: str, main_file: str, vendored: Path) -> Path:
    stage = BUILD / name
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(vendored, stage, ignore=shutil.ignore_patterns(".complete", "__pycache__"))
    for package in [name, *SHARED]:
        shutil.copytree(ROOT / package, stage / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / main_file, stage / "__main__.py")
    compile_tree(stage)
    target = ROOT / "bin" / f"{name}.pyz"
    target.parent.mkdir(exist_ok=True)
    zipapp.create_archive(stage, target, interpreter="/usr/bin/env python3", compressed=False)
    return target


def record_interpreter(zipapp_path: Path) -> Path:
    """Write the real interpreter (not a version-manager shim in front of it, not a venv's link) next to
    the zipapp, for shims/gh to start directly: the one that compiled the zipapp's bytecode."""
    interpreter = os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable)
    target = zipapp_path.with_suffix(".python")
    target.write_text(interpreter + "\n")
    return target


def main() -> None:
    vendored = vendor()
    for name, main_file in APPS.items():
        if (ROOT / main_file).exists():
            built = build(name, main_file, vendored)
            print(f"built {built.relative_to(ROOT)}")
            if name == "ghcache":
                print(f"built {record_interpreter(built).relative_to(ROOT)}")
                lib = shimlib.unpack(str(built), str(built.with_suffix(".lib")))
                print(f"built {Path(lib).relative_to(ROOT)}")
        else:
            print(f"skipped {name}: {main_file} does not exist yet")


if __name__ == "__main__":
    main()
