"""Installing into a venv: idempotent, self-contained (works once the zipapp is gone), and fully undone.

Both modes: the default .pth file, and `--sitecustomize`, which chains to the venv's own sitecustomize.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from ahtest import autoheal_cli, autoheal_issues, make_venv, run_script, tree_digest

from autoheal import install

MODES = (install.PTH_MODE, install.SITECUSTOMIZE_MODE)
OWN_SITECUSTOMIZE = "import sys\nsys.SITECUSTOMIZED = __name__\nVALUE = 42\n"
HOOKS_SET = (
    "import sys, threading, logging\n"
    "print(sys.excepthook.autoheal, threading.excepthook.autoheal, logging.Logger.callHandlers.autoheal_recorder)"
)


@pytest.mark.parametrize("own_sitecustomize", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_install_twice_then_uninstall_restores_the_venv_exactly(tmp_path, mode, own_sitecustomize):
    venv = make_venv(tmp_path / "venv")
    if own_sitecustomize:
        _add_own_sitecustomize(venv)
    before = tree_digest(venv)
    install.install(venv, mode)
    once = tree_digest(venv)
    install.install(venv, mode)
    assert tree_digest(venv) == once
    assert install.installed_mode(venv) == mode
    assert install.uninstall(venv) is True
    assert tree_digest(venv) == before
    assert install.uninstall(venv) is False
    if own_sitecustomize:
        assert (install.site_packages(venv) / "sitecustomize.py").stat().st_mode & 0o777 == 0o640


def test_switching_modes_leaves_what_a_fresh_install_of_the_new_mode_would(tmp_path):
    venv = make_venv(tmp_path / "venv")
    _add_own_sitecustomize(venv)
    before = tree_digest(venv)
    fresh = {}
    for mode in MODES:
        install.install(venv, mode)
        fresh[mode] = tree_digest(venv)
        install.uninstall(venv)
    for mode in (*MODES, *reversed(MODES)):
        install.install(venv, mode)
        assert (install.installed_mode(venv), tree_digest(venv)) == (mode, fresh[mode])
    install.uninstall(venv)
    assert tree_digest(venv) == before


def test_existing_sitecustomize_is_left_alone(tmp_path):
    venv = make_venv(tmp_path / "venv")
    site = install.site_packages(venv)
    (site / "sitecustomize.py").write_text("import sys\nsys.SITECUSTOMIZED = True\n")
    install.install(venv)
    done = subprocess.run(
        [str(venv / "bin/python"), "-c", "import sys; print(sys.SITECUSTOMIZED, sys.excepthook.autoheal)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["True", "True"]
    assert (site / "sitecustomize.py").read_text().startswith("import sys")


def _foreign_magic(pyc: bytes) -> bytes:
    return b"\x00\x00\r\n" + pyc[4:]


def _truncated(pyc: bytes) -> bytes:
    return pyc[:10]


def _garbage(pyc: bytes) -> bytes:
    return bytes(range(256)) * 4


@pytest.mark.parametrize("damage", [None, _foreign_magic, _truncated, _garbage])
@pytest.mark.parametrize("mode", MODES)
def test_start_up_prints_nothing_and_hooks_even_with_a_boot_pyc_that_does_not_fit(tmp_path, mode, damage):
    """Another Python's magic number, a truncated or garbled file: the import falls back to the source, silently."""
    venv = make_venv(tmp_path / "venv")
    hook = install.install(venv, mode)
    if damage:
        boot = install.BOOT if mode == install.PTH_MODE else hook.stem
        pyc = next((install.site_packages(venv) / "__pycache__").glob(f"{boot}.*.pyc"))
        pyc.write_bytes(damage(pyc.read_bytes()))
    done = subprocess.run([str(venv / "bin/python"), "-c", HOOKS_SET], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr, done.stdout.split()) == (0, "", ["True", "True", "True"])


def test_sitecustomize_mode_files_one_issue_for_a_crash(tmp_path, hub, env):
    venv = make_venv(tmp_path / "venv")
    install.install(venv, install.SITECUSTOMIZE_MODE)
    result = run_script(venv, "def load():\n    raise KeyError('item 7')\nload()\n", env)
    assert result.returncode == 1 and "KeyError: 'item 7'" in result.stderr
    [issue] = autoheal_issues(hub)
    assert issue.title == "KeyError: 'item 7'"


def test_sitecustomize_mode_runs_the_venvs_own_first_as_sitecustomize(tmp_path, hub, env):
    """Its side effect and globals as before, `import sitecustomize` is still it, and the hook chains to its hook."""
    venv = make_venv(tmp_path / "venv")
    own = OWN_SITECUSTOMIZE + "def own_hook(*args):\n    print('own hook saw', args[1])\nsys.excepthook = own_hook\n"
    _add_own_sitecustomize(venv, own)
    install.install(venv, install.SITECUSTOMIZE_MODE)
    code = "import sys, sitecustomize\nprint(sys.SITECUSTOMIZED, sitecustomize.VALUE)\nraise ValueError('late')\n"
    result = run_script(venv, code, {**env, "AUTOHEAL_QUIET": "1"})
    assert (result.returncode, result.stdout, result.stderr) == (1, "sitecustomize 42\nown hook saw late\n", "")
    assert [i.title for i in autoheal_issues(hub)] == ["ValueError: late"]


def test_sitecustomize_mode_chains_to_one_further_along_sys_path(tmp_path, hub, env):
    """Here a directory that a .pth file appends after site-packages: without autoheal its sitecustomize ran."""
    venv = make_venv(tmp_path / "venv")
    later = tmp_path / "later"
    later.mkdir()
    (later / "sitecustomize.py").write_text(OWN_SITECUSTOMIZE)
    (install.site_packages(venv) / "later.pth").write_text(f"{later}\n")
    install.install(venv, install.SITECUSTOMIZE_MODE)
    done = subprocess.run(
        [str(venv / "bin/python"), "-c", "import sys; print(sys.SITECUSTOMIZED, sys.excepthook.autoheal)"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (done.stdout, done.stderr) == ("sitecustomize True\n", "")


def test_an_error_in_the_venvs_own_sitecustomize_prints_as_before_and_the_hook_still_starts(tmp_path, hub, env):
    broken = "import sys\nsys.SITECUSTOMIZED = True\nraise ValueError('broken customize')\n"
    plain, hooked = make_venv(tmp_path / "plain"), make_venv(tmp_path / "hooked")
    for venv in (plain, hooked):
        _add_own_sitecustomize(venv, broken)
    install.install(hooked, install.SITECUSTOMIZE_MODE)
    code = "import sys\nprint(sys.SITECUSTOMIZED, 'sitecustomize' in sys.modules)\nraise OSError('crash')\n"
    without, with_hook = run_script(plain, code, env), run_script(hooked, code, {**env, "AUTOHEAL_QUIET": "1"})
    assert "Error in sitecustomize; set PYTHONVERBOSE for traceback:\nValueError: broken customize\n" in without.stderr
    assert (with_hook.returncode, with_hook.stdout, with_hook.stderr) == (
        without.returncode,
        without.stdout,
        without.stderr,
    )
    assert [i.title for i in autoheal_issues(hub)] == ["OSError: crash"]


def test_sitecustomize_mode_refuses_a_sitecustomize_it_cannot_chain_to(tmp_path):
    venv = make_venv(tmp_path / "venv")
    package = install.site_packages(venv) / "sitecustomize"
    package.mkdir()
    (package / "__init__.py").write_text("")
    with pytest.raises(install.InstallError, match="can chain to"):
        install.install(venv, install.SITECUSTOMIZE_MODE)
    assert install.installed_mode(venv) is None


@pytest.mark.parametrize("mode", MODES)
def test_status_shows_how_the_hook_starts_in_the_active_venv(tmp_path, env, mode):
    venv = make_venv(tmp_path / "venv")
    active = {**env, "VIRTUAL_ENV": str(venv)}
    assert json.loads(autoheal_cli(active, "status", "--json").stdout)["hook_in_active_venv"] is False
    flag = ["--sitecustomize"] if mode == install.SITECUSTOMIZE_MODE else []
    assert autoheal_cli(active, "install", *flag).returncode == 0
    assert json.loads(autoheal_cli(active, "status", "--json").stdout)["hook_in_active_venv"] == mode


def test_zipapp_install_keeps_working_after_the_zipapp_is_deleted(tmp_path, hub, env, zipapps):
    pyz = _copy_of_zipapp(zipapps, tmp_path)
    venv = make_venv(tmp_path / "venv")
    done = subprocess.run([sys.executable, str(pyz), "install", "--venv", str(venv)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pyz.unlink()
    run_script(venv, "raise LookupError('gone')\n", env)
    assert [i.title for i in autoheal_issues(hub)] == ["LookupError: gone"]


def test_install_refuses_a_directory_that_is_not_a_venv(tmp_path):
    with pytest.raises(install.InstallError, match="not a venv"):
        install.find_venv(str(tmp_path))


def _add_own_sitecustomize(venv: Path, source: str = OWN_SITECUSTOMIZE) -> None:
    """The venv's own sitecustomize.py, not world-readable, with the .pyc its first start-up writes."""
    own = install.site_packages(venv) / "sitecustomize.py"
    own.write_text(source)
    own.chmod(0o640)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([str(venv / "bin/python"), "-c", "pass"], env=env, capture_output=True, check=True)
    assert next((own.parent / "__pycache__").glob("sitecustomize.*.pyc"))


def _copy_of_zipapp(zipapps: Path, tmp_path: Path) -> Path:
    """A copy of the project's own bin/autoheal.pyz (as `make zipapps` builds it) that the test may delete."""
    target = tmp_path / "autoheal.pyz"
    shutil.copy(zipapps / "autoheal.pyz", target)
    return target


def _debian_venv(path: Path, *options: str) -> Path:
    """A venv of Debian's (or Ubuntu's) own Python, whose default sysconfig scheme is posix_local."""
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", *options, str(path)], check=True, capture_output=True)
    return path


def _uv_venv(path: Path) -> Path:
    subprocess.run([UV, "venv", "--python", sys.executable, str(path)], check=True, capture_output=True)
    return path


SYSTEM_PYTHON = "/usr/bin/python3"
UV = str(Path(sys.executable).with_name("uv"))
VENV_KINDS = {
    "debian-system-python": lambda path: _debian_venv(path),
    "debian-system-site-packages": lambda path: _debian_venv(path, "--system-site-packages", "--without-pip"),
    "without-pip": make_venv,
    "uv": _uv_venv,
}


@pytest.mark.parametrize("kind", VENV_KINDS)
def test_installs_in_every_kind_of_venv_and_reports_from_it(tmp_path, hub, env, kind):
    venv = VENV_KINDS[kind](tmp_path / "venv")
    before = tree_digest(venv)
    done = autoheal_cli(env, "install", "--venv", str(venv))
    assert done.returncode == 0, done.stderr
    assert install.site_packages(venv) in Path(done.stdout.split(": ", 1)[1].strip()).parents
    result = run_script(venv, "def load():\n    raise KeyError('item 7')\nload()\n", env)
    assert result.returncode == 1
    [issue] = autoheal_issues(hub)
    assert issue.title == "KeyError: 'item 7'"
    assert autoheal_cli(env, "uninstall", "--venv", str(venv)).returncode == 0
    assert tree_digest(venv) == before


def test_a_read_only_site_packages_is_one_clear_line(tmp_path, zipapps):
    """A venv the installing user cannot write (here: root's venv, installed into as nobody)."""
    shared = Path(tempfile.mkdtemp(prefix="autoheal-ro-"))
    try:
        shared.chmod(0o755)
        venv = _debian_venv(shared / "venv", "--without-pip")  # root's pyenv Python is not nobody's to run
        pyz = _copy_of_zipapp(zipapps, tmp_path)
        pyz_copy = shared / "autoheal.pyz"
        shutil.copy(pyz, pyz_copy)
        pyz_copy.chmod(0o644)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        done = subprocess.run(
            [*as_nobody, SYSTEM_PYTHON, str(pyz_copy), "install", "--venv", str(venv)],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "HOME": str(shared), "AUTOHEAL_CONFIG": str(shared / "c.json")},
        )
        assert done.returncode == 2 and done.stdout == ""
        [line] = done.stderr.splitlines()
        site = install.site_packages(venv)
        advice = "install as a user who can write there, or into a venv of your own"
        assert line == f"autoheal: error: cannot write to {site} (read-only); {advice}"
        assert not (site / install.PTH).exists() and not (site / install.LIB).exists()
    finally:
        shutil.rmtree(shared, ignore_errors=True)
