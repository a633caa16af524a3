"""The shim's packages unpacked from the zipapp and compiled, for launchers to import from a directory.

Reading modules from a zip costs the shim several milliseconds per `gh` call (the archive's directory is
read and each module decompressed on every start); a directory of compiled files costs a few `stat`s.
Our own package is also written into one bundle file (`bundle`), which saves the import system's
per-module work. Both launchers use it: the `#!` launcher `ghcache install-shim` writes, and the portable
`shims/gh`, which imports from the directory `make zipapps` unpacks next to the zipapp.
"""

from __future__ import annotations

import os
import shutil

from . import bundle

# What the shim imports: our package, and platformdirs where the cache dir is not computed in-line.
SHIM_PACKAGES = ("ghcache/", "platformdirs/")


def unpack(archive: str, lib: str) -> str:
    """Unpack the shim's packages from `archive` into `lib` and compile them with this interpreter.

    The directory appears whole or not at all (built aside, then renamed over any older copy), so a
    launcher starting meanwhile imports either the old set or the new one, never a mix."""
    import compileall
    import py_compile
    import zipfile

    staging = f"{lib}.{os.getpid()}.tmp"
    _remove(staging)
    try:
        with zipfile.ZipFile(archive) as archived:
            members = [name for name in archived.namelist() if name.startswith(SHIM_PACKAGES) and name.endswith(".py")]
            archived.extractall(staging, members)
        compileall.compile_dir(staging, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        bundle.write("ghcache", os.path.join(staging, "ghcache"))
    except BaseException:
        _remove(staging)  # a failed build leaves nothing half made behind
        raise
    if os.path.isdir(lib) and not os.path.islink(lib):
        retired = f"{lib}.{os.getpid()}.old"
        os.replace(lib, retired)
        os.replace(staging, lib)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, lib)
    os.utime(lib)  # newer than its archive: shims/gh takes an unpacked copy older than the zip for stale
    return lib


def _remove(path: str) -> None:
    """Remove a leftover file or directory; a symlink is removed itself, never what it points to
    (rmtree refuses a symlink silently, and extracting into it would write wherever it leads)."""
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    else:
        shutil.rmtree(path, ignore_errors=True)
