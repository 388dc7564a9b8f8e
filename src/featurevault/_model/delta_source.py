"""DeltaSource: a Delta Lake table, read as it is now or as it was at a version or time.

The table is read through its own transaction log (the ``deltalake`` package, the
``delta`` extra), so only the files of the version asked for are scanned, and only
those of the date partitions a query needs. ``as_of`` pins the source to a table
version (an int) or to a time (the latest version committed at or before it):
training data exactly as the table was then.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from featurevault.errors import DefinitionError
from featurevault._model.sources import FileSource

#: the date partition column offline writes fill from the event timestamp (UTC date)
DEFAULT_DATE_PARTITION = "event_date"

AsOf = int | datetime | None


def parse_as_of(value: Any, what: str) -> AsOf:
    """A version (int >= 0) or a time (datetime or ISO 8601 text, UTC when it has no offset)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise DefinitionError(f"{what}: as_of must be a table version (int) or a time, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise DefinitionError(f"{what}: as_of version must be >= 0, got {value}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise DefinitionError(f"{what}: as_of {value!r} is neither a version number nor an ISO 8601 time") from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    raise DefinitionError(f"{what}: as_of must be a table version (int) or a time, got {type(value).__name__}")


class DeltaSource(FileSource):
    """A Delta Lake table at ``path`` (relative paths are resolved against the feature repo).

    ``partition_by`` names the columns a table created by an offline write is
    partitioned by (default: ``date_partition_column``); ``date_partition_column``
    is filled from the event timestamp on writes and prunes partitions on reads.
    ``as_of`` reads the table at a version or time (see :func:`parse_as_of`).
    ``s3_endpoint_override`` names an S3-compatible server for an ``s3://`` path (either engine).
    """

    source_type = "delta"

    def __init__(
        self,
        *,
        path: str,
        name: str = "",
        timestamp_field: str = "",
        created_timestamp_column: str = "",
        field_mapping: dict[str, str] | None = None,
        date_partition_column: str = DEFAULT_DATE_PARTITION,
        partition_by: list[str] | None = None,
        as_of: Any = None,
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
        s3_endpoint_override: str | None = None,
    ) -> None:
        super().__init__(
            path=path,
            name=name,
            timestamp_field=timestamp_field,
            created_timestamp_column=created_timestamp_column,
            field_mapping=field_mapping,
            file_format="delta",
            date_partition_column=date_partition_column,
            description=description,
            tags=tags,
            owner=owner,
            s3_endpoint_override=s3_endpoint_override,
        )
        if partition_by is not None and not all(isinstance(c, str) and c for c in partition_by):
            raise DefinitionError(f"delta source {self.name!r}: partition_by must be a list of column names")
        default = [date_partition_column] if date_partition_column else []
        self.partition_by = list(partition_by) if partition_by is not None else default
        self.as_of = parse_as_of(as_of, f"delta source {self.name!r}")

    def at(self, as_of: Any) -> DeltaSource:
        """A copy of this source reading the table at ``as_of`` (a version or a time)."""
        source = copy.copy(self)
        source.as_of = parse_as_of(as_of, f"delta source {self.name!r}")
        return source

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.pop("file_format", None)
        data["partition_by"] = list(self.partition_by)
        if self.as_of is not None:
            data["as_of"] = self.as_of if isinstance(self.as_of, int) else self.as_of.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeltaSource:
        kwargs = cls._source_kwargs(data)
        if "date_partition_column" not in data:
            kwargs["date_partition_column"] = DEFAULT_DATE_PARTITION
        return cls(
            **kwargs,
            path=data["path"],
            partition_by=data.get("partition_by"),
            as_of=data.get("as_of"),
            s3_endpoint_override=data.get("s3_endpoint_override") or None,
        )
