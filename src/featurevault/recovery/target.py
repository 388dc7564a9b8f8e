"""Where backups are kept: a local directory or any filesystem pyarrow opens (``file://``, ``s3://``, ...).

Files are written through :class:`HashingWriter`, which computes the SHA-256
and size while the bytes stream out, so nothing is read twice and nothing is
held whole in memory. Object-storage targets plug in through
``pyarrow.fs.FileSystem.from_uri`` (or :func:`register_filesystem` for a
scheme pyarrow does not know).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from featurevault.errors import RecoveryError

#: scheme -> factory(uri) -> (pyarrow FileSystem, root path); for schemes pyarrow cannot open itself
_FILESYSTEMS: dict[str, Callable[[str], tuple[Any, str]]] = {}


def register_filesystem(scheme: str, factory: Callable[[str], tuple[Any, str]]) -> None:
    """Let backups be written to ``scheme://...`` through ``factory`` (object storage plugs in here)."""
    _FILESYSTEMS[scheme] = factory


class HashingWriter:
    """A write-only file object that forwards to a pyarrow stream and keeps size and SHA-256."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._hash.update(view)
        self._stream.write(view)
        self.size += len(view)
        return len(view)

    def flush(self) -> None:
        self._stream.flush()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.size

    def close(self) -> None:
        self.closed = True

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class BackupTarget:
    """A directory of backups, one sub-directory per backup id."""

    def __init__(self, filesystem: Any, root: str, label: str) -> None:
        self.fs = filesystem
        self.root = root.rstrip("/")
        self.label = label

    @classmethod
    def open(cls, location: str, resolve: Callable[[str], Path]) -> BackupTarget:
        """A target from ``backup.target`` or ``--to``: a path (relative to the repo) or a URI."""
        from pyarrow import fs

        scheme = location.split("://", 1)[0] if "://" in location else ""
        if scheme in _FILESYSTEMS:
            filesystem, root = _FILESYSTEMS[scheme](location)
            return cls(filesystem, root, location)
        if scheme:
            try:
                filesystem, root = fs.FileSystem.from_uri(location)
            except Exception as exc:  # pyarrow raises several types for bad URIs
                raise RecoveryError(f"backup target {location!r} cannot be opened: {exc}") from None
            return cls(filesystem, root, location)
        path = resolve(location)
        path.mkdir(parents=True, exist_ok=True)
        return cls(fs.LocalFileSystem(), str(path), str(path))

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    @contextmanager
    def writer(self, *parts: str) -> Iterator[HashingWriter]:
        self.fs.create_dir(self.path(*parts[:-1]), recursive=True)
        with self.fs.open_output_stream(self.path(*parts)) as stream:
            yield HashingWriter(stream)

    def reader(self, *parts: str) -> Any:
        return self.fs.open_input_stream(self.path(*parts))

    def read_bytes(self, *parts: str) -> bytes:
        with self.reader(*parts) as stream:
            return bytes(stream.read())

    def write_bytes_atomically(self, data: bytes, *parts: str) -> None:
        """Write to a temporary name, then move into place: a reader sees no file or the whole file."""
        temporary = [*parts[:-1], parts[-1] + ".partial"]
        with self.writer(*temporary) as out:
            out.write(data)
        self.fs.move(self.path(*temporary), self.path(*parts))

    def exists(self, *parts: str) -> bool:
        from pyarrow import fs

        return bool(self.fs.get_file_info(self.path(*parts)).type != fs.FileType.NotFound)

    def size(self, *parts: str) -> int:
        return int(self.fs.get_file_info(self.path(*parts)).size or 0)

    def children(self) -> list[str]:
        from pyarrow import fs

        selector = fs.FileSelector(self.root, allow_not_found=True)
        return sorted(i.base_name for i in self.fs.get_file_info(selector) if i.type == fs.FileType.Directory)

    def remove(self, *parts: str) -> None:
        self.fs.delete_dir(self.path(*parts))
