"""The operating system as the shim's modules see it: `posix` (built into the interpreter), not `os`.

Importing `os` costs a `gh` call 1.5 to 2 ms, about a sixth of the interpreter's whole start-up, because
`os` builds `_collections_abc` first; the shim with `-S` starts without either. So the modules a cache
hit runs take system calls from `posix` and do path arithmetic here, in the few lines of `posixpath`
they need. Everything else (subprocess, json, the daemon) imports `os` as usual, and once it is loaded
`environ()` is its live `os.environ`.

POSIX only, as the shim is: `shims/gh` is a shell script and gh's cache layout is POSIX paths.
"""

from __future__ import annotations

import sys
from _stat import S_ISDIR as S_ISDIR  # built in, as posix is: what the stat module itself uses
from _stat import S_ISREG as S_ISREG
from posix import O_APPEND as O_APPEND
from posix import O_CLOEXEC as O_CLOEXEC
from posix import O_CREAT as O_CREAT
from posix import O_EXCL as O_EXCL
from posix import O_NOFOLLOW as O_NOFOLLOW
from posix import O_NONBLOCK as O_NONBLOCK
from posix import O_RDONLY as O_RDONLY
from posix import O_RDWR as O_RDWR
from posix import O_WRONLY as O_WRONLY
from posix import X_OK as X_OK
from posix import _exit as _exit
from posix import access as access
from posix import close as close
from posix import dup as dup
from posix import execv as execv
from posix import fstat as fstat
from posix import fsync as fsync
from posix import get_terminal_size as get_terminal_size
from posix import getcwd as getcwd
from posix import geteuid as geteuid
from posix import getpid as getpid
from posix import getuid as getuid
from posix import isatty as isatty
from posix import kill as kill
from posix import lstat as lstat
from posix import mkdir as mkdir
from posix import open as open
from posix import pread as pread
from posix import read as read
from posix import replace as replace
from posix import scandir as scandir
from posix import stat as stat
from posix import unlink as unlink
from posix import urandom as urandom
from posix import utime as utime
from posix import write as write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

pathsep = ":"
defpath = "/bin:/usr/bin"  # os.defpath: where a PATH-less search looks

_snapshot: dict[str, str] | None = None


def environ() -> Mapping[str, str]:
    """The environment as `os.environ` has it: decoded the file system's way, surrogates for bad bytes."""
    global _snapshot
    loaded = sys.modules.get("os")
    if loaded is not None:
        live: Mapping[str, str] = loaded.environ  # someone may have changed it since: that is the environment now
        return live
    if _snapshot is None:
        import posix

        encoding = sys.getfilesystemencoding()
        _snapshot = {
            key.decode(encoding, "surrogateescape"): value.decode(encoding, "surrogateescape")
            for key, value in posix.environ.items()
        }
    return _snapshot


def join(path: str, *parts: str) -> str:
    """os.path.join: an absolute part starts over."""
    for part in parts:
        if part.startswith("/"):
            path = part
        elif not path or path.endswith("/"):
            path += part
        else:
            path += "/" + part
    return path


def dirname(path: str) -> str:
    """os.path.dirname: everything before the last slash, trailing slashes dropped unless all slashes."""
    head = path[: path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def basename(path: str) -> str:
    return path[path.rfind("/") + 1 :]


def isabs(path: str) -> bool:
    return path.startswith("/")


def normpath(path: str) -> str:
    """os.path.normpath: `.` and empty components dropped, `..` folded, without looking at the disk."""
    if not path:
        return "."
    leading = 2 if path.startswith("//") and not path.startswith("///") else 1 if path.startswith("/") else 0
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != ".." or (not leading and not parts) or (parts and parts[-1] == ".."):
            parts.append(part)
        elif parts:
            parts.pop()
    return "/" * leading + "/".join(parts) or "."


def abspath(path: str) -> str:
    return normpath(path if isabs(path) else join(getcwd(), path))


def expanduser(path: str) -> str:
    """os.path.expanduser: `~` from HOME (else the password database), `~name` from the database."""
    if not path.startswith("~"):
        return path
    end = path.find("/", 1)
    end = len(path) if end < 0 else end
    import pwd  # built in: no file to load

    if end == 1:
        home = environ().get("HOME")
        if home is None:
            try:
                home = pwd.getpwuid(getuid()).pw_dir
            except KeyError:
                return path
    else:
        try:
            home = pwd.getpwnam(path[1:end]).pw_dir
        except KeyError:
            return path
    return (home.rstrip("/") + path[end:]) or "/"


def _mode(path: str) -> int:
    """The file's st_mode, following symlinks; 0 (no file type) when it cannot be had."""
    try:
        return stat(path).st_mode
    except (OSError, ValueError):
        return 0


def isfile(path: str) -> bool:
    return S_ISREG(_mode(path))


def isdir(path: str) -> bool:
    return S_ISDIR(_mode(path))


def exists(path: str) -> bool:
    return _mode(path) != 0
