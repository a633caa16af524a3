"""Installing into a venv: idempotent, self-contained (works once the zipapp is gone), and fully undone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipapp
from pathlib import Path

import argh
import platformdirs
import pytest
import urllib3
from ahtest import autoheal_issues, make_venv, run_script, tree_digest

import autoheal
from autoheal import install


def test_install_twice_then_uninstall_restores_the_venv_exactly(tmp_path):
    venv = make_venv(tmp_path / "venv")
    before = tree_digest(venv)
    install.install(venv)
    once = tree_digest(venv)
    install.install(venv)
    assert tree_digest(venv) == once
    assert install.uninstall(venv) is True
    assert tree_digest(venv) == before
    assert install.uninstall(venv) is False


def test_existing_sitecustomize_is_left_alone(tmp_path):
    venv = make_venv(tmp_path / "venv")
    site = install.site_packages(venv)
    (site / "sitecustomize.py").write_text("import sys\nsys.SITECUSTOMIZED = True\n")
    install.install(venv)
    done = subprocess.run([str(venv / "bin/python"), "-c", "import sys; print(sys.SITECUSTOMIZED, sys.excepthook.autoheal)"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]
    assert (site / "sitecustomize.py").read_text().startswith("import sys")


def _foreign_magic(pyc: bytes) -> bytes:
    return b"\x00\x00\r\n" + pyc[4:]


def _truncated(pyc: bytes) -> bytes:
    return pyc[:10]


def _garbage(pyc: bytes) -> bytes:
    return bytes(range(256)) * 4


@pytest.mark.parametrize("damage", [None, _foreign_magic, _truncated, _garbage])
def test_start_up_prints_nothing_and_hooks_even_with_a_boot_pyc_that_does_not_fit(tmp_path, damage):
    """Another Python's magic number, a truncated or garbled file: the import falls back to the source, silently."""
    venv = make_venv(tmp_path / "venv")
    install.install(venv)
    if damage:
        pyc = next((install.site_packages(venv) / "__pycache__").glob(f"{install.BOOT}.*.pyc"))
        pyc.write_bytes(damage(pyc.read_bytes()))
    code = ("import sys, threading, logging\n"
            "print(sys.excepthook.autoheal, threading.excepthook.autoheal, logging.Logger.callHandlers.autoheal_recorder)")
    done = subprocess.run([str(venv / "bin/python"), "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr, done.stdout.split()) == (0, "", ["True", "True", "True"])


def test_zipapp_install_keeps_working_after_the_zipapp_is_deleted(tmp_path, hub, env):
    pyz = _build_zipapp(tmp_path)
    venv = make_venv(tmp_path / "venv")
    done = subprocess.run([sys.executable, str(pyz), "install", "--venv", str(venv)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pyz.unlink()
    run_script(venv, "raise LookupError('gone')\n", env)
    assert [i.title for i in autoheal_issues(hub)] == ["LookupError: gone"]


def test_install_refuses_a_directory_that_is_not_a_venv(tmp_path):
    with pytest.raises(install.InstallError, match="not a venv"):
        install.find_venv(str(tmp_path))


def _build_zipapp(tmp_path: Path) -> Path:
    """Like the project's zipapp build: autoheal plus its vendored dependencies."""
    staging = tmp_path / "staging"
    for module in (autoheal, argh, urllib3, platformdirs):
        source = Path(module.__file__).parent
        shutil.copytree(source, staging / source.name, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "autoheal.pyz"
    zipapp.create_archive(staging, target, main="autoheal.cli:main")
    return target
