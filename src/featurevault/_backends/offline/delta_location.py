"""Where a Delta table is, and how deltalake and pyarrow reach it: local disk or S3.

A table is at a :data:`Location`: a local directory, or an ``s3://bucket/prefix`` URI.
In S3 the log is read and written by ``deltalake`` (its ``storage_options`` built by
:func:`storage_options` from the source's ``s3_endpoint_override`` and the AWS
environment: credentials, region) and the data files are read through pyarrow's
``S3FileSystem``, the one the Parquet-in-S3 sources use, so no DuckDB extension is
downloaded. Commits rely on S3's conditional writes (put if absent), which AWS S3,
MinIO and moto honour; for a server without them, ``AWS_S3_ALLOW_UNSAFE_RENAME=true``
(in the environment) lets a single writer commit. Errors name the source, the table
and the endpoint, with a hint when the credentials are refused or the bucket is missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from featurevault._backends.offline.object_store import (
    SCHEME,
    aws_region,
    describe_location,
    filesystem,
    is_object_path,
)
from featurevault._backends.offline.specs import SourceSpec
from featurevault.errors import DataSourceError, missing_dependency

#: where a table is: a local directory, or its ``s3://bucket/prefix`` URI (no trailing slash)
Location = Path | str

#: environment variables handed to deltalake as they are, when set (credentials, commit safety)
FORWARDED_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_S3_ALLOW_UNSAFE_RENAME",
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DENIED = (
    "403 Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "lacked the necessary privileges",
)


def deltalake() -> Any:
    """The ``deltalake`` module, or an error naming the extra to install."""
    try:
        import deltalake as module
    except ImportError:
        raise missing_dependency("deltalake", "delta") from None
    return module


def location(source: SourceSpec, resolve: Callable[[str], Path]) -> Location:
    """The table of ``source``: its ``s3://`` URI, or its local path resolved against the repo."""
    return source.path.rstrip("/") if is_object_path(source.path) else resolve(source.path)


def located(where: Location) -> Location:
    """A local path given as text becomes a ``Path``; an ``s3://`` URI stays text."""
    return where.rstrip("/") if isinstance(where, str) and is_object_path(where) else Path(where)


def storage_options(endpoint: str | None) -> dict[str, str]:
    """deltalake's object store settings for S3: the endpoint override, the region and the AWS environment."""
    options: dict[str, str] = {}
    if endpoint:
        options["AWS_ENDPOINT_URL"] = endpoint if "://" in endpoint else f"https://{endpoint}"
        if endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
    region = aws_region()
    if region:
        options["AWS_REGION"] = region
    options.update({k: os.environ[k] for k in FORWARDED_ENVIRONMENT if os.environ.get(k)})
    return options


def options_for(source: SourceSpec, where: Location) -> dict[str, str] | None:
    """The storage options of a table in S3; None for a local one."""
    return storage_options(source.s3_endpoint_override or None) if isinstance(where, str) else None


def describe(source: SourceSpec, where: Location) -> str:
    """``'s3://b/p' at http://host:port`` (the endpoint only when overridden) or ``'/local/path'``."""
    return describe_location(where, source.s3_endpoint_override) if isinstance(where, str) else repr(str(where))


def failure_reason(exc: BaseException, where: Location) -> str:
    """deltalake's error on one line (its object-store errors span lines, with colour codes), with a hint
    when it is the credentials or a missing bucket."""
    text = _ANSI.sub("", str(exc))
    lines = [line.strip().lstrip("\u21b3").strip() for line in text.splitlines()]
    reason = ": ".join(line for line in lines if line and not line.startswith("<")) or type(exc).__name__
    reason = reason if len(reason) <= 500 else reason[:497] + "..."
    if any(s in text for s in _DENIED):
        return f"access denied: check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profile) ({reason})"
    if "NoSuchBucket" in text and isinstance(where, str):
        bucket = where.removeprefix(SCHEME).split("/", 1)[0]
        return f"the bucket {bucket!r} does not exist ({reason})"
    if type(exc).__name__ == "TableNotFoundError":
        return f"no Delta table there (no commit under _delta_log) ({reason})"
    return reason


@contextmanager
def failing(source: SourceSpec, where: Location, action: str) -> Iterator[None]:
    """deltalake's and the object store's errors as a :class:`DataSourceError` naming the source and table."""
    try:
        yield
    except DataSourceError:
        raise
    except (OSError, deltalake().exceptions.DeltaError) as exc:
        raise DataSourceError(
            f"data source {source.name!r}: cannot {action} the Delta table {describe(source, where)}: "
            f"{failure_reason(exc, where)}"
        ) from exc


def table_filesystem(source: SourceSpec, where: Location) -> Any:
    """pyarrow's filesystem rooted at the table (S3), or None: deltalake's own handler (local)."""
    if not isinstance(where, str):
        return None
    from pyarrow import fs

    return fs.SubTreeFileSystem(where.removeprefix(SCHEME), filesystem(source.s3_endpoint_override or None))


def dataset(source: SourceSpec, where: Location, table: Any) -> Any:
    """The table's current files as a pyarrow dataset (in S3 read through pyarrow's ``S3FileSystem``)."""
    store = table_filesystem(source, where)
    return table.to_pyarrow_dataset() if store is None else table.to_pyarrow_dataset(filesystem=store)
