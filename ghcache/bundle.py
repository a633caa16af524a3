"""All of the package's compiled modules in one file, for the shim's start-up.

Importing a module from a directory costs the import system about 0.15 ms of finding, `stat`ing,
opening and checking before its code even runs; the shim's hit path imports some fifteen of ours, so on
every `gh` call that alone came to about 2 ms of a 10 ms interpreter floor. `make zipapps` (through
`shimlib.unpack`) writes every module's code into one file next to the sources, and the package's
`__init__` puts a finder for it in front of the import system: one read at start-up, and each module's
code is unmarshalled only when imported.

The file is named by the interpreter's cache tag, like `__pycache__` files, so another Python version
never loads code compiled for this one; a missing, unreadable or damaged file means ordinary imports.
"""

from __future__ import annotations

import marshal
import sys

from . import fastos

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

FORMAT = b"ghcache-bundle 1 "  # then the index's length and a newline, the index, each module's code


def path_for(package_dir: str) -> str:
    """Where the bundle of the package in `package_dir` lives, for this interpreter."""
    return f"{package_dir}/__pycache__/bundle.{sys.implementation.cache_tag}"


class BundleFinder:
    """Finds and loads the package's modules from the bundle (importlib's finder and loader protocols).

    Only the index is read at start-up; a module's code is read (`pread`, so threads importing at once
    do not share a file position) and unmarshalled when it is imported: the hit path reads about a third
    of the file."""

    def __init__(self, package: str, package_dir: str, fd: int, index: dict[str, tuple[bool, int, int]]) -> None:
        self.package = package
        self.package_dir = package_dir
        self.fd = fd
        self.index = index
        own_spec = sys.modules[package].__spec__
        assert own_spec is not None  # the package is being imported: it has one
        self.module_spec = type(own_spec)  # importlib's ModuleSpec, without importing importlib

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        found = self.index.get(name)
        if found is None:
            return None
        is_package = found[0]
        location = f"{self.package_dir}/{name[len(self.package) + 1 :].replace('.', '/')}"
        origin = f"{location}/__init__.py" if is_package else f"{location}.py"
        spec = self.module_spec(name, self, origin=origin)  # type: ignore[arg-type]  # a Loader by protocol
        spec.has_location = True  # sets __file__, so tracebacks and linecache find the source
        if is_package:
            spec.submodule_search_locations = [location]
        return spec

    def create_module(self, spec: ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        _, offset, length = self.index[module.__name__]
        code = fastos.pread(self.fd, length, offset)
        if len(code) != length:
            raise ImportError(f"{module.__name__}: the bundle was cut short", name=module.__name__)
        exec(marshal.loads(code), module.__dict__)


def install(package: str, package_dir: str) -> None:
    """Import the rest of `package` from its bundle, if there is a usable one."""
    try:
        fd = fastos.open(path_for(package_dir), fastos.O_RDONLY | fastos.O_CLOEXEC)
    except OSError:
        return  # not built (a source tree, a zipapp): ordinary imports
    try:
        index = _read_index(fd, package)
    except (OSError, ValueError, UnicodeDecodeError):
        index = None  # damaged: ordinary imports still work
    if index is None:
        fastos.close(fd)
        return
    sys.meta_path.insert(0, BundleFinder(package, package_dir, fd, index))


def _read_index(fd: int, package: str) -> dict[str, tuple[bool, int, int]] | None:
    """The index: a line per module (name, 1 for a package, offset, length), offsets after the index.

    None unless it names only the package's own modules and the file is exactly as long as it says (a
    copy cut short is not used; the file is written whole, like the `__pycache__` files beside it)."""
    head = fastos.pread(fd, 16384, 0)
    header, _, rest = head.partition(b"\n")
    if not header.startswith(FORMAT):
        return None
    length = int(header[len(FORMAT) :])
    if length > len(rest):
        rest = fastos.pread(fd, length, len(header) + 1)
    data_start = len(header) + 1 + length
    index, end = {}, data_start
    for line in rest[:length].decode().splitlines():
        name, is_package, offset, size = line.split(" ")
        if not name.startswith(package + "."):
            return None
        index[name] = (is_package == "1", data_start + int(offset), int(size))
        end = max(end, data_start + int(offset) + int(size))
    return index if fastos.fstat(fd).st_size == end else None


def write(package: str, package_dir: str) -> str:
    """Compile every module under `package_dir` into its bundle (at build time, never on the hit path)."""
    import os

    lines, codes, offset = [], [], 0
    for directory, _, files in os.walk(package_dir):
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            source = os.path.join(directory, file)
            parts = os.path.relpath(source, package_dir)[: -len(".py")].split(os.sep)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            if not parts:
                continue  # the package's own __init__ is what installs the finder: imported the ordinary way
            # Named as in the zipapp, relative to the directory on sys.path, so the name holds wherever
            # the built directory is moved to and tracebacks still find the source line.
            name = "/".join([package, *os.path.relpath(source, package_dir).split(os.sep)])
            with open(source, "rb") as handle:
                code = marshal.dumps(compile(handle.read(), name, "exec", dont_inherit=True))
            lines.append(f"{'.'.join([package, *parts])} {int(is_package)} {offset} {len(code)}\n")
            codes.append(code)
            offset += len(code)
    index = "".join(lines).encode()
    target = path_for(package_dir)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(FORMAT + str(len(index)).encode() + b"\n" + index + b"".join(codes))
    return target
