"""The quarantine as Parquet objects under ``s3://bucket/prefix/<project>/`` (any S3-compatible endpoint).

The same files as :class:`~.parquet.ParquetQuarantine` keeps on disk, one object per
quarantined batch. An object appears whole or not at all (a PUT, or a multipart upload,
becomes visible only when complete), so no temporary name is needed: a crash leaves the
whole batch or none of it, and removing entries rewrites the objects that held them in
place. Opened as the offline store opens its objects (``quarantine.s3_endpoint_override``,
credentials from the usual chain); an object-storage error is a :class:`BackendError`
naming the location, the endpoint and the cause.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow.parquet as pq

from featurevault._backends.offline import object_store
from featurevault.errors import BackendError
from featurevault._quality.quarantine.base import QuarantineEntry
from featurevault._quality.quarantine.parquet import ParquetQuarantine, entries_from, table_of


class ObjectQuarantine(ParquetQuarantine):
    def __init__(self, location: str, project: str, s3_endpoint_override: str | None = None) -> None:
        import threading

        self.endpoint = s3_endpoint_override
        self.label = object_store.describe_location(location, s3_endpoint_override)
        try:
            self.fs, root = object_store.open_location(location, s3_endpoint_override)
        except (ValueError, OSError) as exc:
            raise BackendError(f"quarantine {self.label} cannot be opened: {exc}") from None
        self.prefix = f"{root}/{project}"
        self.uri = f"{location.rstrip('/')}/{project}"
        self._checked = False
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"parquet objects under {self.uri}" + (f" at {self.endpoint}" if self.endpoint else "")

    @contextmanager
    def _calls(self, doing: str) -> Iterator[None]:
        if not self._checked:  # the bucket once per store: a missing bucket or bad credentials named first
            where = f"quarantine {self.label}"
            object_store.check_bucket(self.fs, self.prefix, where, BackendError)
            self._checked = True
        try:
            yield
        except OSError as exc:
            raise BackendError(f"quarantine {self.label}: cannot {doing}: {object_store.failure_reason(exc)}") from exc

    def _new_file(self) -> str:
        return f"{self.prefix}/{uuid.uuid4().hex}.parquet"

    def _files(self) -> list[Any]:
        from pyarrow import fs

        with self._calls("list the quarantined rows"):
            infos = self.fs.get_file_info(fs.FileSelector(self.prefix, allow_not_found=True))
        return sorted(i.path for i in infos if i.type == fs.FileType.File and i.path.endswith(".parquet"))

    def _read(self, path: Any) -> list[QuarantineEntry]:
        with self._calls(f"read {path}"):
            try:
                table = pq.read_table(path, filesystem=self.fs)
            except FileNotFoundError:  # removed by a concurrent purge
                return []
        return entries_from(table)

    def _delete(self, path: Any) -> None:
        with self._calls(f"delete {path}"):
            self.fs.delete_file(path)

    def _write(self, path: Any, entries: list[QuarantineEntry]) -> None:
        with self._calls(f"write {path}"), self.fs.open_output_stream(path) as out:
            pq.write_table(table_of(entries), out)
