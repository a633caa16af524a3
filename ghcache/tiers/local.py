"""The local disk tier: one file per entry, atomic writes, checksummed reads, LRU by mtime."""

from __future__ import annotations

from .. import fastos
from ..entry import CorruptEntry, Entry

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Iterator

ENTRY_SUFFIX = ".entry"
TMP_SUFFIX = ".tmp"


class StoredFile:
    """One file in the entries folder: its key ("" for a leftover temp file), size and LRU time."""

    __slots__ = ("key", "path", "size", "mtime")

    def __init__(self, key: str, path: str, size: int, mtime: float) -> None:
        self.key = key
        self.path = path
        self.size = size
        self.mtime = mtime


class UnsafeDir(OSError):
    """A directory of the cache that another user could write to, or a symlink planted in it."""


def check_private_dir(path: str) -> None:
    """Ours to trust: a real directory (not a symlink), owned by us, not group or world writable.

    Someone who can write into the cache could plant entries that we would replay as gh's output,
    so such a cache is refused (one line, and gh runs uncached) rather than used or repaired."""
    info = fastos.lstat(path)
    if not fastos.S_ISDIR(info.st_mode):
        raise UnsafeDir(f"{path} is not a directory (a symlink?)")
    if info.st_uid != fastos.geteuid():
        raise UnsafeDir(f"{path} is owned by another user")
    if info.st_mode & 0o022:
        raise UnsafeDir(f"{path} is group or world writable")


def write_private_file(path: str, data: bytes) -> None:
    """Atomically replace `path` with `data`, mode 0600: readers see the old file or the new, never half."""
    directory = fastos.dirname(path)
    make_private_dirs(directory)
    tmp = fastos.join(directory, f".{fastos.basename(path)}.{fastos.getpid()}.{fastos.urandom(4).hex()}{TMP_SUFFIX}")
    fd = fastos.open(tmp, fastos.O_WRONLY | fastos.O_CREAT | fastos.O_EXCL | fastos.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[fastos.write(fd, view) :]
        fastos.fsync(fd)
        fastos.close(fd)
        fd = -1
        fastos.replace(tmp, path)  # replaces a planted symlink itself, never what it points to
    except BaseException:
        if fd >= 0:
            fastos.close(fd)
        _unlink(tmp)
        raise


def make_private_dirs(path: str) -> None:
    """Like os.makedirs, but every directory it creates is 0700 (makedirs applies the mode to the leaf only),
    and every one that exists must be ours (check_private_dir) down from the cache root."""
    try:
        check_private_dir(path)
        return
    except FileNotFoundError:
        pass
    make_private_dirs(fastos.dirname(path))
    try:
        fastos.mkdir(path, 0o700)
    except FileExistsError:
        pass
    check_private_dir(path)


def _unlink(path: str) -> None:
    try:
        fastos.unlink(path)
    except OSError:
        pass


class LocalStore:
    """Entries under `<root>/entries/<2 hex>/<key>.entry`."""

    name = "local"

    def __init__(self, root: str) -> None:
        self.root = root
        self.entries_dir = fastos.join(root, "entries")

    def path(self, key: str) -> str:
        return fastos.join(self.entries_dir, key[:2], key + ENTRY_SUFFIX)

    def get(self, key: str) -> Entry | None:
        """The entry under `key`, or None; UnsafeDir when the folders it lives in are not ours alone."""
        path = self.path(key)
        for directory in (self.root, self.entries_dir, fastos.dirname(path)):
            try:
                check_private_dir(directory)
            except FileNotFoundError:
                return None
        try:
            fd = fastos.open(path, fastos.O_RDONLY | fastos.O_NOFOLLOW)
        except OSError:
            return None
        try:
            with open(fd, "rb", closefd=True) as handle:
                data = handle.read()
        except OSError:
            return None
        try:
            entry = Entry.from_bytes(data, key)
        except CorruptEntry:
            _unlink(path)
            return None
        try:
            fastos.utime(path)  # the LRU clock
        except OSError:
            pass
        return entry

    def put(self, key: str, entry: Entry) -> None:
        write_private_file(self.path(key), entry.to_bytes())

    def delete(self, key: str) -> None:
        _unlink(self.path(key))

    def files(self) -> Iterator[StoredFile]:
        """Every entry file (and leftover temp file, with an empty key)."""
        try:
            shards = list(fastos.scandir(self.entries_dir))
        except OSError:
            return
        for shard in shards:
            if not shard.is_dir(follow_symlinks=False):
                continue
            try:
                children = list(fastos.scandir(shard.path))
            except OSError:
                continue
            for child in children:
                try:
                    info = child.stat(follow_symlinks=False)
                except OSError:
                    continue
                key = child.name[: -len(ENTRY_SUFFIX)] if child.name.endswith(ENTRY_SUFFIX) else ""
                yield StoredFile(key, child.path, info.st_size, info.st_mtime)

    def evict_to(self, max_bytes: int, keep: str = "") -> list[str]:
        """Delete least recently used entries until the total fits; returns the evicted keys."""
        stored = [item for item in self.files() if item.key]
        total = sum(item.size for item in stored)
        evicted = []
        for item in sorted(stored, key=lambda item: item.mtime):
            if total <= max_bytes:
                break
            if item.key == keep:
                continue
            _unlink(item.path)
            total -= item.size
            evicted.append(item.key)
        return evicted

    def remove_temp_files(self, older_than: float) -> int:
        """Leftovers of writers killed mid-write."""
        removed = 0
        for item in self.files():
            if not item.key and item.path.endswith(TMP_SUFFIX) and item.mtime < older_than:
                _unlink(item.path)
                removed += 1
        return removed
