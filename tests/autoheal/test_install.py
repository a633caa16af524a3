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
