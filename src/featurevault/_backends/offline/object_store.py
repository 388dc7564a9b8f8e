"""Sources and offline writes in object storage (``s3://bucket/prefix``, any S3-compatible endpoint).

Objects are listed and read through pyarrow's ``S3FileSystem`` (credentials from
the usual chain: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles,
instance roles); DuckDB scans them as a pyarrow dataset, so no DuckDB extension
is downloaded at run time. Only the objects of the date partitions a query
needs are opened. Appends add new objects (one PUT each, which S3 makes
visible atomically); existing objects are never rewritten.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa

from featurevault._backends.offline.duckdb_sources import SourceFiles, hive_parts
from featurevault.errors import DataSourceError
from featurevault._backends.offline.specs import SourceSpec

SCHEME = "s3://"
_SUFFIXES = {"parquet": (".parquet", ".pq", ".parq"), "csv": (".csv", ".csv.gz")}


def is_object_path(path: str) -> bool:
    return path.startswith(SCHEME)


def filesystem(endpoint_override: str | None, **options: Any) -> Any:
    """An S3 filesystem; ``endpoint_override`` such as ``http://127.0.0.1:9000`` for MinIO or other S3 servers.

    ``options`` go to ``S3FileSystem`` as they are (``access_key``, ``secret_key``, ``session_token``, ``region``).
    """
    from pyarrow import fs

    kwargs: dict[str, Any] = {}
    if endpoint_override:
        scheme, sep, host = endpoint_override.partition("://")
        kwargs["endpoint_override"] = host if sep else endpoint_override
        kwargs["scheme"] = scheme if sep else "https"
    region = aws_region()
    if region:
        kwargs["region"] = region
    return fs.S3FileSystem(**{**kwargs, **options})


def aws_region() -> str | None:
    """The region of the usual AWS environment (``AWS_REGION``, else ``AWS_DEFAULT_REGION``)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


@dataclass
class ObjectFiles(SourceFiles):
    """A source's objects; DuckDB reads them as a registered pyarrow dataset."""

    filesystem: Any = None
    root: str = ""

    @property
    def is_directory(self) -> bool:
        return len(self.files) != 1 or self.files[0] != self.root

    def bind(self, cursor: Any, files: list[str] | None = None) -> str:
        import pyarrow.dataset as ds

        chosen = self.files if files is None else files
        dataset = ds.dataset(
            chosen,
            filesystem=self.filesystem,
            format="csv" if self.file_format == "csv" else "parquet",
            partitioning="hive" if self.hive else None,
            partition_base_dir=self.root if self.hive else None,
        )
        name = f"__fv_objects_{uuid.uuid4().hex[:12]}"
        cursor.register(name, dataset)
        return name


def locate_objects(source: SourceSpec) -> ObjectFiles:
    """List a source's objects, with errors naming the source, the path and the endpoint."""
    from pyarrow import fs as pafs

    store = filesystem(source.s3_endpoint_override)
    root = source.path.removeprefix(SCHEME).rstrip("/")
    where = f"{source.path!r}" + (f" at {source.s3_endpoint_override}" if source.s3_endpoint_override else "")
    try:
        info = store.get_file_info(root)
        if info.type == pafs.FileType.File:
            files = [root]
        elif info.type == pafs.FileType.Directory:
            listing = store.get_file_info(pafs.FileSelector(root, recursive=True))
            suffixes = _SUFFIXES.get(source.file_format, _SUFFIXES["parquet"])
            files = sorted(
                f.path for f in listing if f.type == pafs.FileType.File and f.path.lower().endswith(suffixes)
            )
        else:
            raise DataSourceError(f"data source {source.name!r}: {where} does not exist")
    except OSError as exc:
        raise DataSourceError(f"data source {source.name!r}: cannot list {where}: {failure_reason(exc)}") from exc
    if not files:
        raise DataSourceError(f"data source {source.name!r}: no {source.file_format} objects under {where}")
    base = PurePosixPath(root) if len(files) > 1 or files[0] != root else PurePosixPath(root).parent
    parts = [hive_parts(base, f) for f in files]
    return ObjectFiles(source, base, source.file_format, files, parts, filesystem=store, root=str(base))


def open_location(uri: str, endpoint_override: str | None) -> tuple[Any, str]:
    """``(S3 filesystem, "bucket/prefix")`` for ``s3://bucket/prefix`` (used by backups and the quarantine)."""
    root = uri.removeprefix(SCHEME).strip("/")
    if not root or root.startswith("/"):
        raise ValueError(f"{uri!r} names no bucket (expected s3://bucket/prefix)")
    return filesystem(endpoint_override), root


def describe_location(uri: str, endpoint_override: str | None) -> str:
    """``'s3://b/p' at http://host:port`` (the endpoint only when overridden), for error messages."""
    return f"{uri!r}" + (f" at {endpoint_override}" if endpoint_override else "")


def check_bucket(store: Any, root: str, where: str, error: type[Exception]) -> None:
    """Raise ``error`` naming ``where`` when the bucket is missing or unreachable (one HEAD request)."""
    from pyarrow import fs as pafs

    bucket = root.split("/", 1)[0]
    try:
        missing = store.get_file_info(bucket).type == pafs.FileType.NotFound
    except OSError as exc:
        raise error(f"{where}: cannot reach the bucket {bucket!r}: {failure_reason(exc)}") from exc
    if missing:
        raise error(f"{where}: the bucket {bucket!r} does not exist")


def failure_reason(exc: Exception) -> str:
    """The cause of an object-storage error, with a hint when it is the credentials."""
    text = str(exc)
    if "ACCESS_DENIED" in text or "InvalidAccessKeyId" in text or "SignatureDoesNotMatch" in text:
        return f"access denied: check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profile) ({text})"
    return text


def parquet_schema(files: ObjectFiles) -> pa.Schema:
    import pyarrow.parquet as pq

    schema = pq.read_schema(files.files[0], filesystem=files.filesystem).remove_metadata()
    for key in files.partitions[0] if files.partitions else {}:
        if key not in schema.names:
            schema = schema.append(pa.field(key, pa.string()))
    return schema


def append_objects(files: ObjectFiles, table: pa.Table) -> None:
    """New Parquet objects under the source's prefix (into hive partitions when it has them)."""
    import pyarrow.dataset as ds

    from featurevault._backends.offline.duckdb_append import conform

    if files.file_format != "parquet" or not files.is_directory:
        raise DataSourceError(
            f"data source {files.source.name!r}: rows can be appended in object storage to a prefix of Parquet "
            "objects only (objects are never rewritten)"
        )
    keys = list(files.partitions[0]) if files.hive else []
    table = conform(files.source, parquet_schema(files), table, keep_types=set(keys))
    try:
        ds.write_dataset(
            table,
            files.root,
            filesystem=files.filesystem,
            format="parquet",
            partitioning=keys or None,
            partitioning_flavor="hive" if keys else None,
            basename_template=f"part-{uuid.uuid4().hex}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
        )
    except OSError as exc:
        raise DataSourceError(
            f"data source {files.source.name!r}: cannot write to {files.source.path!r}: {failure_reason(exc)}"
        ) from exc
