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

import _frozen_importlib_external  # importlib's own, loaded with the interpreter (importlib.util is not)
import _imp
import marshal
import sys

from . import fastos

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType

FORMAT = b"ghcache-bundle 1 "
# Then the bytecode's magic number, as a .pyc starts with (a cache tag can outlive one: pre-releases, the
# odd fix release), the index's length and a newline, the index, each module's code.
HEADER = FORMAT + _frozen_importlib_external.MAGIC_NUMBER.hex().encode() + b" "


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
        location = self._location(name)
        if path is None or location.rpartition("/")[0] not in path:
            return None  # a package of that name imported since from elsewhere: its modules are not ours
        spec = self.module_spec(name, self, origin=self._origin(name))  # type: ignore[arg-type]  # a Loader by protocol
        spec.has_location = True  # sets __file__, so tracebacks and linecache find the source
        if found[0]:
            spec.submodule_search_locations = [location]
        return spec

    def _location(self, name: str) -> str:
        return f"{self.package_dir}/{name[len(self.package) + 1 :].replace('.', '/')}"

    def _origin(self, name: str) -> str:
        location = self._location(name)
        return f"{location}/__init__.py" if self.index[name][0] else f"{location}.py"

    def get_code(self, name: str) -> CodeType:
        """The module's code without running it, as `python -m` (runpy) asks a loader for it."""
        return self._code(name, self._origin(name))

    def create_module(self, spec: ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        assert spec is not None and spec.origin is not None  # made by find_spec above
        exec(self._code(module.__name__, spec.origin), module.__dict__)

    def _code(self, name: str, origin: str) -> CodeType:
        """The module's code from the bundle if it is that module's, else compiled from its source.

        An entry is checked against the name `write` compiled it under, so a bundle whose index and data
        disagree never runs one module's code as another's; and, as importlib does for `.pyc` files, the
        code is told where its source is now, so tracebacks and `inspect` read that file, not a relative
        path that may name another file in the current directory."""
        _, offset, length = self.index[name]
        code: CodeType | None
        try:
            code = marshal.loads(fastos.pread(self.fd, length, offset))
        except (OSError, ValueError, EOFError, TypeError):
            code = None  # not code at all: the bundle is damaged
        if getattr(code, "co_filename", None) != f"{self.package}/{origin[len(self.package_dir) + 1 :]}":
            return _compile_source(origin)
        assert code is not None  # it has the right co_filename
        _imp._fix_co_filename(code, origin)  # type: ignore[attr-defined]  # untyped, as importlib uses it
        return code


def _compile_source(origin: str) -> CodeType:
    """What ordinary imports would run: the source file, compiled (the bundle is damaged, or not this file's)."""
    with open(origin, "rb") as handle:
        return compile(handle.read(), origin, "exec", dont_inherit=True)


def install(package: str, package_dir: str) -> None:
    """Import the rest of `package` from its bundle, if there is a usable one."""
    try:
        fd = _open_above_standard_fds(path_for(package_dir))
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


def _open_above_standard_fds(path: str) -> int:
    """Open `path` for the life of the process, on a descriptor above 2.

    A `gh` started with stdin, stdout or stderr closed (`>&-`) would otherwise find the bundle there: its
    writes to stdout would fail on a read-only file instead of on a closed descriptor, and code that
    opens a file next would not get the descriptor it gets after ordinary imports, which close theirs."""
    fd = fastos.open(path, fastos.O_RDONLY | fastos.O_CLOEXEC)
    low = []
    try:
        while fd <= 2:
            low.append(fd)
            fd = fastos.dup(fd)  # non-inheritable, as the original
    finally:
        for standard in low:
            fastos.close(standard)
    return fd


def _read_index(fd: int, package: str) -> dict[str, tuple[bool, int, int]] | None:
    """The index: a line per module (name, 1 for a package, offset, length), offsets after the index.

    None unless it names only the package's own modules and the file is exactly as long as it says (a
    copy cut short is not used; the file is written whole, like the `__pycache__` files beside it)."""
    head = fastos.pread(fd, 16384, 0)
    header, _, rest = head.partition(b"\n")
    if not header.startswith(HEADER) or not header[len(HEADER) :].isdigit():
        return None  # not a bundle, or one of code this interpreter may not run
    file_size = fastos.fstat(fd).st_size
    length = int(header[len(HEADER) :])
    if length > file_size:
        return None  # a length no read could satisfy (and one too large to ask for)
    if length > len(rest):
        rest = fastos.pread(fd, length, len(header) + 1)
    data_start = len(header) + 1 + length
    index, end = {}, data_start
    for line in rest[:length].decode().splitlines():
        name, is_package, offset, size = line.split(" ")
        # Modules lie end to end in index order, as `write` puts them: no gaps, overlaps or reaching back.
        if not name.startswith(package + ".") or data_start + int(offset) != end or not size.isdigit():
            return None
        index[name] = (is_package == "1", end, int(size))
        end += int(size)
    return index if file_size == end else None


def write(package: str, package_dir: str) -> str:
    """Compile every module under `package_dir` into its bundle (at build time, never on the hit path)."""
    import os

    lines, codes, offset = [], [], 0
    for directory, _, files in os.walk(package_dir):
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            source = os.path.join(directory, file)
            relative = os.path.relpath(source, package_dir).split(os.sep)
            parts = [*relative[:-1], relative[-1][: -len(".py")]]
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            if not parts:
                continue  # the package's own __init__ is what installs the finder: imported the ordinary way
            # Named as in the zipapp, relative to the directory on sys.path, so the name holds wherever
            # the built directory is moved to and tracebacks still find the source line.
            name = "/".join([package, *relative])
            with open(source, "rb") as handle:
                code = marshal.dumps(compile(handle.read(), name, "exec", dont_inherit=True))
            lines.append(f"{'.'.join([package, *parts])} {int(is_package)} {offset} {len(code)}\n")
            codes.append(code)
            offset += len(code)
    index = "".join(lines).encode()
    target = path_for(package_dir)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(HEADER + str(len(index)).encode() + b"\n" + index + b"".join(codes))
    return target
