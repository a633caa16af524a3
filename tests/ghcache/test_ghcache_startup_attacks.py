"""The shim lib's bundle under damage and in odd surroundings: it is used only when it is exactly what
ordinary imports would run, and otherwise the shim still starts, from the sources beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ghrig import GhRig
from support import REAL_GH, REAL_PYTHON

from ghcache import bundle

ROOT = Path(__file__).resolve().parents[2]
FORMAT = bundle.HEADER
SHIM_CODE = "import sys; sys.path.insert(0, sys.argv.pop(1)); from ghcache.shim import main; sys.exit(main())"


def _copy_lib(tmp_path: Path, zipapps: Path) -> Path:
    lib = tmp_path / "ghcache.lib"
    shutil.copytree(zipapps / "ghcache.lib", lib)
    return lib


def _split(data: bytes) -> tuple[list[list[str]], bytes]:
    header, _, rest = data.partition(b"\n")
    length = int(header[len(FORMAT) :])
    return [line.split(" ") for line in rest[:length].decode().splitlines()], rest[length:]


def _join(entries: list[list[str]], body: bytes) -> bytes:
    index = "".join(" ".join(entry) + "\n" for entry in entries).encode()
    return FORMAT + str(len(index)).encode() + b"\n" + index + body


def _swapped(data: bytes) -> bytes:
    """Two modules' names exchanged: a consistent layout whose entries are not the modules they name."""
    entries, body = _split(data)
    names = {entry[0]: entry for entry in entries}
    names["ghcache.config"][0], names["ghcache.shim"][0] = "ghcache.shim", "ghcache.config"
    return _join(entries, body)


def _reaching_back(data: bytes) -> bytes:
    entries, body = _split(data)
    next(entry for entry in entries if entry[0] == "ghcache.config")[2] = "-10"
    return _join(entries, body)


def _garbled_code(data: bytes) -> bytes:
    """The right size, the right index, one module's code overwritten."""
    entries, body = _split(data)
    entry = next(entry for entry in entries if entry[0] == "ghcache.config")
    start = len(data) - len(body) + int(entry[2])
    return data[:start] + b"\xff" * 40 + data[start + 40 :]


def _other_bytecode(data: bytes) -> bytes:
    """What another build with the same cache tag but other bytecode (a pre-release, say) would write."""
    magic = bundle.HEADER[len(bundle.FORMAT) : -1]
    other = bytes.fromhex(magic.decode())
    other = (int.from_bytes(other[:2], "little") ^ 1).to_bytes(2, "little") + other[2:]
    return data.replace(magic, other.hex().encode(), 1)


DAMAGES = {
    "index length too large to read": lambda data: FORMAT + b"99999999999999999999\n",
    "negative index length": lambda data: FORMAT + b"-5\n" + data.partition(b"\n")[2],
    "entries swapped": _swapped,
    "an offset reaching back": _reaching_back,
    "garbled code": _garbled_code,
}


def test_a_bundle_of_other_bytecode_is_never_loaded(tmp_path: Path, zipapps: Path) -> None:
    """As importlib checks a .pyc's magic number: the cache tag alone does not say the code will run."""
    lib = _copy_lib(tmp_path, zipapps)
    path = Path(bundle.path_for(str(lib / "ghcache")))
    path.write_bytes(_other_bytecode(path.read_bytes()))
    code = "import sys; sys.path.insert(0, sys.argv[1]); import ghcache.shim as s; print(type(s.__loader__).__name__)"
    done = subprocess.run([REAL_PYTHON, "-I", "-S", "-c", code, str(lib)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "SourceFileLoader"


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_bundle_never_crashes_nor_runs_the_wrong_module(damage: str, tmp_path: Path, zipapps: Path) -> None:
    lib = _copy_lib(tmp_path, zipapps)
    path = Path(bundle.path_for(str(lib / "ghcache")))
    path.write_bytes(DAMAGES[damage](path.read_bytes()))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import ghcache.shim as s, ghcache.config as c\n"
        "print(callable(s.main), callable(c.load), c.__file__)"
    )
    done = subprocess.run([REAL_PYTHON, "-I", "-S", "-c", code, str(lib)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", str(lib / "ghcache" / "config.py")]


def test_tracebacks_from_the_bundle_name_the_lib_files_not_the_current_directory(tmp_path: Path, zipapps: Path) -> None:
    """Ordinary imports give code its source's absolute path; so must the bundle, or a traceback (and
    `inspect`) taken in a directory that has a `ghcache/` of its own would show that directory's lines."""
    lib = _copy_lib(tmp_path, zipapps)
    decoy = tmp_path / "elsewhere"
    (decoy / "ghcache").mkdir(parents=True)
    lines = (lib / "ghcache" / "config.py").read_text().count("\n") + 10
    (decoy / "ghcache" / "config.py").write_text("DECOY LINE\n" * lines)
    code = (
        "import sys, traceback, inspect; sys.path.insert(0, sys.argv[1]); import ghcache.config as c\n"
        "print(c.load.__code__.co_filename); print(inspect.getsourcefile(c.load))\n"
        "try:\n    c.load(42)\nexcept Exception:\n    traceback.print_exc()"
    )
    done = subprocess.run(
        [REAL_PYTHON, "-I", "-S", "-c", code, str(lib)], capture_output=True, text=True, cwd=decoy, check=True
    )
    source = str(lib / "ghcache" / "config.py")
    assert done.stdout.splitlines() == [source, source]
    assert f'File "{source}"' in done.stderr
    assert "DECOY" not in done.stderr


def test_the_install_shim_launcher_hits_from_the_bundle_without_os(rig: GhRig, zipapps: Path, tmp_path: Path) -> None:
    """The `#!` launcher runs a script, not `-c`: its hit must stay as lean as the portable shim's."""
    subprocess.run(
        [REAL_PYTHON, str(zipapps / "ghcache.pyz"), "install-shim", str(tmp_path / "shim")],
        check=True,
        capture_output=True,
    )
    launcher = tmp_path / "shim" / "gh"
    interpreter, flags = launcher.read_text().splitlines()[0][2:].split(" ")
    rig.run("api", "repos/octo/hello")  # stored
    rig.hub.clear_requests()
    # What the kernel runs for the #! line, with the import log on.
    command = [interpreter, "-X", "importtime", flags, str(launcher), "api", "repos/octo/hello"]
    done = subprocess.run(command, env=rig.env, cwd=rig.home, capture_output=True, timeout=60)
    assert done.returncode == 0 and b'"full_name":"octo/hello"' in done.stdout, done.stderr
    assert rig.calls() == 0, "a hit"
    loaded = [line.rsplit("|", 1)[1].strip() for line in done.stderr.decode().splitlines() if "|" in line][1:]
    assert "ghcache.shim" in loaded
    assert {"os", "_collections_abc", "posixpath", "json", "subprocess"}.isdisjoint(loaded)
    bundles = list((tmp_path / "shim").glob(f"lib-*/ghcache/__pycache__/bundle.{sys.implementation.cache_tag}"))
    assert len(bundles) == 1


def test_a_package_imported_from_elsewhere_later_gets_its_own_modules(tmp_path: Path, zipapps: Path) -> None:
    """The finder stays on sys.meta_path; a `ghcache` imported afterwards from another directory (without
    a bundle) must import that directory's modules, not the bundle's."""
    other = tmp_path / "other"
    shutil.copytree(ROOT / "ghcache", other / "ghcache", ignore=shutil.ignore_patterns("__pycache__"))
    with (other / "ghcache" / "config.py").open("a") as handle:
        handle.write('\nWHICH = "other"\n')
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import ghcache.config\n"
        "for name in [n for n in sys.modules if n.startswith('ghcache')]: del sys.modules[name]\n"
        "sys.path[0] = sys.argv[2]; import ghcache.config as c; print(c.__file__, getattr(c, 'WHICH', 'bundle'))"
    )
    command = [REAL_PYTHON, "-I", "-S", "-c", code, str(zipapps / "ghcache.lib"), str(other)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(other / "ghcache" / "config.py"), "other"]


@pytest.mark.parametrize("closed", [(0,), (1,), (2,), (0, 1, 2)])
def test_closed_standard_descriptors_stay_closed(closed: tuple[int, ...], zipapps: Path) -> None:
    """`gh ... >&-`: after ordinary imports fds 0-2 are as the caller left them; the bundle, open for the
    life of the process, must not take one of them."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import ghcache.shim, posix\n"
        "def is_open(fd):\n    try:\n        posix.fstat(fd)\n"
        "    except OSError:\n        return False\n    return True\n"
        "posix.write(9, ' '.join(str(is_open(fd)) for fd in range(3)).encode())"
    )
    redirects = " ".join(f"{fd}>&-" for fd in closed)
    shell = f'exec 9>&1; "$0" -I -S -c "$1" "$2" {redirects}'
    done = subprocess.run(
        ["sh", "-c", shell, REAL_PYTHON, code, str(zipapps / "ghcache.lib")], capture_output=True, check=True
    )
    assert done.stdout.decode().split() == [str(fd not in closed) for fd in range(3)]


@pytest.mark.parametrize("closed", ["0", "1", "2", "1 2"])
@pytest.mark.parametrize("path", ["repos/octo/hello", "repos/octo/missing"])
def test_a_closed_stdout_or_stderr_is_as_gh_has_it_and_nothing_lands_in_the_cache(
    closed: str, path: str, rig: GhRig, zipapps: Path, tmp_path: Path
) -> None:
    """`gh ... >&-`: gh drops what it cannot write and exits as usual. The shim used to let the first
    file it opened (its lock, the stats log) take the closed descriptor, so gh's output, teed to
    "stdout", went into that file; a hit fell back to gh with a warning. Real gh is the oracle."""
    plain = _copy_lib(tmp_path, zipapps)
    Path(bundle.path_for(str(plain / "ghcache"))).unlink()
    redirects = " ".join(f"{fd}>&-" if fd != "0" else "<&-" for fd in closed.split())

    def run(*command: str) -> tuple[int, bytes, bytes]:
        shell = f'"$0" "$@" api {path} {redirects}'
        done = subprocess.run(["sh", "-c", shell, *command], env=rig.env, cwd=rig.home, capture_output=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    expected = run(REAL_GH)
    for lib in (zipapps / "ghcache.lib", plain):
        for _ in range(2):  # a miss, then (for a read that succeeds) a hit
            assert run(REAL_PYTHON, "-I", "-S", "-c", SHIM_CODE, str(lib)) == expected
    cache_files = [file for file in rig.cache_dir.rglob("*") if file.is_file() and "entries" not in file.parts]
    assert [
        str(file) for file in cache_files if b"Not Found" in file.read_bytes() or b"full_name" in file.read_bytes()
    ] == []


def test_python_m_runs_a_module_from_the_bundle(zipapps: Path, tmp_path: Path) -> None:
    """runpy (`python -m`) asks the module's loader for its code, as it can from ordinary imports."""
    env = {"PYTHONPATH": str(zipapps / "ghcache.lib"), "PATH": "/usr/bin:/bin"}
    check = "import ghcache.config as c; print(type(c.__loader__).__name__)"
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True}  # not the source tree's ghcache
    done = subprocess.run([REAL_PYTHON, "-S", "-c", check], check=True, **run)
    assert done.stdout.strip() == "BundleFinder"
    done = subprocess.run([REAL_PYTHON, "-S", "-m", "ghcache.config"], **run)
    assert done.returncode == 0, done.stderr


def test_unpacking_never_writes_through_a_planted_staging_symlink(tmp_path: Path, zipapps: Path) -> None:
    """A leftover `<lib>.<pid>.tmp` that is a symlink is removed, not extracted into."""
    from ghcache import shimlib

    victim = tmp_path / "victim"
    victim.mkdir()
    lib = tmp_path / "ghcache.lib"
    Path(f"{lib}.{os.getpid()}.tmp").symlink_to(victim)
    shimlib.unpack(str(zipapps / "ghcache.pyz"), str(lib))
    assert list(victim.iterdir()) == []
    assert (lib / "ghcache" / "shim.py").is_file() and not lib.is_symlink()
