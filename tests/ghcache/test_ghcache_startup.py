"""What the shim costs before it does anything: which modules a hit loads, and where they come from.

The hit path takes the operating system from `ghcache.fastos` (built-in `posix`, not `os`) and our own
modules from one bundle file. Both are only worth having if they are exactly what they replace: fastos is
checked against `posixpath`/`os` on generated inputs, the bundle against ordinary imports."""

from __future__ import annotations

import itertools
import os
import posixpath
import subprocess
import sys
from pathlib import Path

import pytest
from ghrig import GhRig
from support import REAL_PYTHON

from ghcache import bundle, fastos

ROOT = Path(__file__).resolve().parents[2]
SHIM_CODE = "import sys; sys.path.insert(0, sys.argv.pop(1)); from ghcache.shim import main; sys.exit(main())"
COMPONENTS = ["", "/", "//", "///", ".", "..", "a", "b/", "a//b", "/a/./b/../c", "../x", "~", "~/d", "c/.."]


def _paths() -> list[str]:
    return sorted({"".join(parts) for parts in itertools.product(COMPONENTS, repeat=2)} | set(COMPONENTS))


@pytest.mark.parametrize("name", ["dirname", "basename", "isabs", "normpath", "abspath"])
def test_path_arithmetic_matches_posixpath(name: str) -> None:
    ours, theirs = getattr(fastos, name), getattr(posixpath, name)
    differ = [path for path in _paths() if ours(path) != theirs(path)]
    assert differ == [], [(path, ours(path), theirs(path)) for path in differ[:5]]


def test_join_matches_posixpath() -> None:
    for parts in itertools.product(COMPONENTS, repeat=3):
        assert fastos.join(*parts) == posixpath.join(*parts), parts


@pytest.mark.parametrize("home", [None, "", "/", "/home/someone/", "/h"])
def test_expanduser_matches_posixpath(home: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if home is None:
        monkeypatch.delenv("HOME", raising=False)
    else:
        monkeypatch.setenv("HOME", home)
    for path in [*_paths(), "~root", "~root/x", "~no-such-user-here/x", "x~", "~~"]:
        assert fastos.expanduser(path) == posixpath.expanduser(path), path


def test_file_tests_match_os_path(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "link-to-file").symlink_to(tmp_path / "file")
    (tmp_path / "link-to-dir").symlink_to(tmp_path / "dir")
    (tmp_path / "dangling").symlink_to(tmp_path / "nothing")
    os.mkfifo(tmp_path / "fifo")
    names = ["file", "dir", "link-to-file", "link-to-dir", "dangling", "fifo", "nothing", "file/below"]
    paths = [str(tmp_path / name) for name in names] + ["", "nul\0byte", "/"]
    for test in ("isfile", "isdir", "exists"):
        for path in paths:
            assert getattr(fastos, test)(path) == getattr(os.path, test)(path), (test, path)


def test_environment_is_decoded_as_os_decodes_it() -> None:
    """Before `os` is loaded fastos reads posix.environ itself: undecodable bytes survive as os keeps them."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from ghcache import fastos; seen = dict(fastos.environ())\n"
        "import os; print(seen == dict(os.environ))"
    )
    env = {b"PLAIN": b"value", b"NOT_UTF8": b"\xff\xfe caf\xc3\xa9", b"EMPTY": b""}
    done = subprocess.run(
        [REAL_PYTHON, "-I", "-S", "-c", code, str(ROOT)], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True", done.stderr


def _loaded_on_a_hit(rig: GhRig, lib: Path) -> list[str]:
    """The modules a cache hit through the unpacked lib imports, in order (python -X importtime)."""
    command = [REAL_PYTHON, "-X", "importtime", "-I", "-S", "-c", SHIM_CODE, str(lib), "api", "repos/octo/hello"]
    done = subprocess.run(command, env=rig.env, cwd=rig.home, capture_output=True, timeout=60)
    assert done.returncode == 0 and b'"full_name":"octo/hello"' in done.stdout, done.stderr
    lines = done.stderr.decode().splitlines()
    return [line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")][1:]


def test_a_hit_loads_neither_os_nor_anything_heavy(rig: GhRig, zipapps: Path) -> None:
    rig.run("api", "repos/octo/hello")  # stored
    rig.hub.clear_requests()
    loaded = _loaded_on_a_hit(rig, zipapps / "ghcache.lib")
    assert rig.calls() == 0, "a hit"
    heavy = {"os", "_collections_abc", "posixpath", "stat", "types", "json", "re", "subprocess", "hashlib", "typing"}
    assert heavy.isdisjoint(loaded), sorted(heavy & set(loaded))
    assert "ghcache.shim" in loaded


def test_the_unpacked_lib_imports_from_its_bundle(zipapps: Path) -> None:
    """Every module but the package's __init__ (which installs the finder) and the two it needs come
    from the bundle; each still names its source file, so a traceback shows the line."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import ghcache.shim, ghcache.miss, ghcache.tiers.local\n"
        "for name in sorted(n for n in sys.modules if n.startswith('ghcache')):\n"
        "    module = sys.modules[name]; print(name, type(module.__loader__).__name__, module.__file__)\n"
        "import linecache; print(linecache.getline(ghcache.shim.main.__code__.co_filename,"
        " ghcache.shim.main.__code__.co_firstlineno).strip())"
    )
    lib = zipapps / "ghcache.lib"
    done = subprocess.run([REAL_PYTHON, "-I", "-S", "-c", code, str(lib)], capture_output=True, text=True, check=True)
    *modules, first_line = done.stdout.splitlines()
    loaders = {line.split()[0]: line.split()[1] for line in modules}
    assert {name for name, loader in loaders.items() if loader != "BundleFinder"} == {
        "ghcache",
        "ghcache.bundle",
        "ghcache.fastos",
    }
    files = {line.split()[0]: line.split()[2] for line in modules}
    assert files["ghcache.tiers"] == str(lib / "ghcache" / "tiers" / "__init__.py")
    assert files["ghcache.tiers.local"] == str(lib / "ghcache" / "tiers" / "local.py")
    assert first_line.startswith("def main(")


@pytest.mark.parametrize(
    "damage",
    ["cut short", "garbage header", "foreign module", "empty"],
)
def test_a_damaged_bundle_means_ordinary_imports(damage: str, tmp_path: Path, zipapps: Path) -> None:
    import shutil

    lib = tmp_path / "ghcache.lib"
    shutil.copytree(zipapps / "ghcache.lib", lib)
    path = Path(bundle.path_for(str(lib / "ghcache")))
    data = path.read_bytes()
    damaged = {
        "cut short": data[: len(data) - 100],
        "garbage header": b"\x00\xff" + data[2:],
        "foreign module": data.replace(b"ghcache.argv 0", b"ghcacheXargv 0", 1),
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    code = "import sys; sys.path.insert(0, sys.argv[1]); import ghcache.shim as s; print(type(s.__loader__).__name__)"
    done = subprocess.run([REAL_PYTHON, "-I", "-S", "-c", code, str(lib)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "SourceFileLoader"


def test_another_interpreter_version_never_loads_the_bundle(tmp_path: Path) -> None:
    """The file is named by the interpreter's cache tag, as __pycache__ files are."""
    assert bundle.path_for("/x/ghcache").endswith(f"/__pycache__/bundle.{sys.implementation.cache_tag}")
