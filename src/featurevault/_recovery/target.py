"""Where backups are kept: a local directory, ``s3://bucket/prefix``, or any filesystem pyarrow opens.

Files are written through :class:`HashingWriter`, which computes the SHA-256
and size while the bytes stream out, so nothing is read twice and nothing is
held whole in memory (in S3 a file goes up as a multipart upload, part by part).
``s3://`` targets are opened as the offline store opens its objects
(:mod:`featurevault._backends.offline.object_store`: ``backup.s3_endpoint_override``
for S3-compatible servers, credentials from the usual chain); other schemes
through ``pyarrow.fs.FileSystem.from_uri`` (or :func:`register_filesystem` for
a scheme pyarrow does not know). An object-storage error (credentials, a missing
bucket, an unreachable endpoint) is a :class:`RecoveryError` naming the target,
the endpoint and the cause.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
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
    """A directory of backups, one sub-directory per backup id.

    ``remote`` targets (object storage) turn an ``OSError`` of any call into a
    :class:`RecoveryError` naming ``label`` (the location and its endpoint).
    """

    def __init__(self, filesystem: Any, root: str, label: str, *, remote: bool = False, uri_prefix: str = "") -> None:
        self.fs = filesystem
        self.root = root.rstrip("/")
        self.label = label
        self.remote = remote
        self._uri_prefix = uri_prefix

    @classmethod
    def open(
        cls, location: str, resolve: Callable[[str], Path], s3_endpoint_override: str | None = None
    ) -> BackupTarget:
        """A target from ``backup.target`` or ``--to``: a path (relative to the repo) or a URI."""
        from pyarrow import fs

        from featurevault._backends.offline import object_store

        scheme = location.split("://", 1)[0] if "://" in location else ""
        if scheme in _FILESYSTEMS:
            filesystem, root = _FILESYSTEMS[scheme](location)
            return cls(filesystem, root, location, remote=True)
        if object_store.is_object_path(location):
            label = object_store.describe_location(location, s3_endpoint_override)
            try:
                filesystem, root = object_store.open_location(location, s3_endpoint_override)
            except (ValueError, OSError) as exc:
                raise RecoveryError(f"backup target {label} cannot be opened: {exc}") from None
            object_store.check_bucket(filesystem, root, f"backup target {label}", RecoveryError)
            return cls(filesystem, root, label, remote=True, uri_prefix=object_store.SCHEME)
        if scheme:
            try:
                filesystem, root = fs.FileSystem.from_uri(location)
            except Exception as exc:  # pyarrow raises several types for bad URIs
                raise RecoveryError(f"backup target {location!r} cannot be opened: {exc}") from None
            return cls(filesystem, root, location, remote=scheme != "file")
        path = resolve(location)
        path.mkdir(parents=True, exist_ok=True)
        return cls(fs.LocalFileSystem(), str(path), str(path))

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def uri(self, *parts: str) -> str:
        """Where ``parts`` is, as a user names it (``s3://bucket/prefix/...`` or a local path)."""
        return self._uri_prefix + self.path(*parts)

    def _calls(self, doing: str) -> AbstractContextManager[None]:
        return _named_errors(self.label, doing) if self.remote else nullcontext()

    @contextmanager
    def writer(self, *parts: str) -> Iterator[HashingWriter]:
        with self._calls(f"write {'/'.join(parts)}"):
            if not self.remote:  # object stores have no directories to create
                self.fs.create_dir(self.path(*parts[:-1]), recursive=True)
            with self.fs.open_output_stream(self.path(*parts)) as stream:
                yield HashingWriter(stream)

    def reader(self, *parts: str) -> Any:
        with self._calls(f"read {'/'.join(parts)}"):
            return self.fs.open_input_stream(self.path(*parts))

    def read_bytes(self, *parts: str) -> bytes:
        with self.reader(*parts) as stream, self._calls(f"read {'/'.join(parts)}"):
            return bytes(stream.read())

    def write_bytes_atomically(self, data: bytes, *parts: str) -> None:
        """Write to a temporary name, then move into place: a reader sees no file or the whole file."""
        temporary = [*parts[:-1], parts[-1] + ".partial"]
        with self.writer(*temporary) as out:
            out.write(data)
        with self._calls(f"move {'/'.join(temporary)}"):  # in S3: a server-side copy, then a delete
            self.fs.move(self.path(*temporary), self.path(*parts))

    def exists(self, *parts: str) -> bool:
        from pyarrow import fs

        with self._calls(f"look up {'/'.join(parts)}"):
            return bool(self.fs.get_file_info(self.path(*parts)).type != fs.FileType.NotFound)

    def size(self, *parts: str) -> int:
        with self._calls(f"look up {'/'.join(parts)}"):
            return int(self.fs.get_file_info(self.path(*parts)).size or 0)

    def children(self) -> list[str]:
        from pyarrow import fs

        selector = fs.FileSelector(self.root, allow_not_found=True)
        with self._calls("list backups"):
            infos = self.fs.get_file_info(selector)
        return sorted(i.base_name for i in infos if i.type == fs.FileType.Directory)

    def remove(self, *parts: str) -> None:
        with self._calls(f"remove {'/'.join(parts)}"):
            self.fs.delete_dir(self.path(*parts))


@contextmanager
def _named_errors(label: str, doing: str) -> Iterator[None]:
    from featurevault._backends.offline.object_store import failure_reason as reason

    try:
        yield
    except OSError as exc:
        raise RecoveryError(f"backup target {label}: cannot {doing}: {reason(exc)}") from exc
