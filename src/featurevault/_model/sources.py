"""Data sources: where a feature view's rows come from.

Each source class registers itself under a ``source_type`` so that the registry
can rebuild it from its dictionary form; an offline engine dispatches on it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from featurevault.errors import DefinitionError
from featurevault._model.base import FeatureObject
from featurevault._model.entity import Field

_SOURCE_TYPES: dict[str, type[DataSource]] = {}


class DataSource(FeatureObject):
    """Base of every data source."""

    kind = "data_source"
    source_type: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.source_type:
            _SOURCE_TYPES[cls.source_type] = cls

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataSource:
        """Rebuild a source of this type from its dictionary form (each source type defines it)."""
        raise NotImplementedError(f"{cls.__name__}.from_dict")

    def _init_source(
        self,
        name: str,
        timestamp_field: str,
        created_timestamp_column: str,
        field_mapping: dict[str, str] | None,
        date_partition_column: str,
        description: str,
        tags: dict[str, str] | None,
        owner: str,
    ) -> None:
        self._init_meta(name, description, tags, owner)
        self.timestamp_field = timestamp_field or ""
        self.created_timestamp_column = created_timestamp_column or ""
        self.field_mapping = dict(field_mapping or {})
        self.date_partition_column = date_partition_column or ""

    def _source_dict(self) -> dict[str, Any]:
        return {
            **self._meta_dict(),
            "type": self.source_type,
            "timestamp_field": self.timestamp_field,
            "created_timestamp_column": self.created_timestamp_column,
            "field_mapping": dict(self.field_mapping),
            "date_partition_column": self.date_partition_column,
        }

    @staticmethod
    def _source_kwargs(data: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments every source takes, read back from :meth:`_source_dict`'s output."""
        return {
            "name": data["name"],
            "timestamp_field": data.get("timestamp_field", ""),
            "created_timestamp_column": data.get("created_timestamp_column", ""),
            "field_mapping": data.get("field_mapping"),
            "date_partition_column": data.get("date_partition_column", ""),
            "description": data.get("description", ""),
            "tags": data.get("tags"),
            "owner": data.get("owner", ""),
        }

    @property
    def event_timestamp_column(self) -> str:
        """Feast's older name for ``timestamp_field``."""
        return self.timestamp_field


#: source types defined outside this module, imported when first met in a dictionary
_SOURCE_MODULES = {"delta": "featurevault._model.delta_source", "spark": "featurevault._model.spark_source"}


def source_from_dict(data: dict[str, Any]) -> DataSource:
    """Rebuild any registered source from its dictionary form."""
    kind = data.get("type", "")
    if kind not in _SOURCE_TYPES and kind in _SOURCE_MODULES:
        import importlib

        importlib.import_module(_SOURCE_MODULES[kind])
    cls = _SOURCE_TYPES.get(kind)
    if cls is None:
        raise DefinitionError(f"unknown data source type {data.get('type')!r} for source {data.get('name')!r}")
    return cls.from_dict(data)


class FileFormat:
    """Feast-style format objects (``ParquetFormat()``); strings work as well."""

    format_name: ClassVar[str] = ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileFormat) and other.format_name == self.format_name

    def __hash__(self) -> int:
        return hash(self.format_name)


class ParquetFormat(FileFormat):
    format_name = "parquet"


class CsvFormat(FileFormat):
    format_name = "csv"


class DeltaFormat(FileFormat):
    format_name = "delta"


FILE_FORMATS = ("parquet", "csv", "delta")


def _format_name(name: str, file_format: Any, path: str) -> str:
    if file_format is None or file_format == "":
        return "csv" if path.lower().endswith((".csv", ".csv.gz")) else "parquet"
    fmt = file_format.format_name if isinstance(file_format, FileFormat) else str(file_format).lower()
    if fmt not in FILE_FORMATS:
        raise DefinitionError(f"file source {name!r}: file_format {file_format!r} is not one of {FILE_FORMATS}")
    return fmt


class FileSource(DataSource):
    """A Parquet file, a directory of Parquet files, a hive-partitioned dataset, CSV or a Delta table.

    ``path`` may be relative; it is resolved against the feature repo.
    """

    source_type = "file"

    def __init__(
        self,
        *,
        path: str,
        name: str = "",
        timestamp_field: str = "",
        created_timestamp_column: str = "",
        field_mapping: dict[str, str] | None = None,
        file_format: Any = None,
        date_partition_column: str = "",
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
        event_timestamp_column: str = "",
        s3_endpoint_override: str | None = None,
    ) -> None:
        if not path:
            raise DefinitionError(f"file source {name!r}: path is required")
        self._init_source(
            name or _name_from_path(path),
            timestamp_field or event_timestamp_column,
            created_timestamp_column,
            field_mapping,
            date_partition_column,
            description,
            tags,
            owner,
        )
        self.path = str(path)
        self.file_format = _format_name(self.name, file_format, self.path)
        #: an S3-compatible server for ``s3://`` paths (MinIO, ...); AWS itself when empty
        self.s3_endpoint_override = s3_endpoint_override or ""

    def to_dict(self) -> dict[str, Any]:
        extra = {"s3_endpoint_override": self.s3_endpoint_override} if self.s3_endpoint_override else {}
        return {**self._source_dict(), "path": self.path, "file_format": self.file_format, **extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileSource:
        return cls(
            **cls._source_kwargs(data),
            path=data["path"],
            file_format=data.get("file_format"),
            s3_endpoint_override=data.get("s3_endpoint_override") or None,
        )


def _name_from_path(path: str) -> str:
    stem = str(path).rstrip("/").split("/")[-1].split(".")[0]
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"source_{cleaned}"


class PostgreSQLSource(DataSource):
    """Rows of a PostgreSQL table or query (Feast's ``PostgreSQLSource``).

    Exactly one of ``table`` (optionally ``schema.table``) and ``query`` is
    given. Where the server is: ``connection_string`` (a libpq URI or
    ``key=value`` string; ``${VAR}`` is read from the environment when the
    source is read, so secrets stay out of the registry), else the offline
    store's PostgreSQL settings, else libpq's own environment (``PGHOST``,
    ``PGUSER``, ``PGPASSWORD``, ...).
    """

    source_type = "postgres"

    def __init__(
        self,
        *,
        name: str,
        query: str | None = None,
        table: str | None = None,
        timestamp_field: str = "",
        created_timestamp_column: str = "",
        field_mapping: dict[str, str] | None = None,
        date_partition_column: str = "",
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
        connection_string: str = "",
    ) -> None:
        if bool(query) == bool(table):
            raise DefinitionError(f"postgres source {name!r}: give exactly one of query= or table=")
        self._init_source(
            name,
            timestamp_field,
            created_timestamp_column,
            field_mapping,
            date_partition_column,
            description,
            tags,
            owner,
        )
        self.query = query or ""
        self.table = table or ""
        self.connection_string = connection_string or ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._source_dict(),
            "query": self.query,
            "table": self.table,
            "connection_string": self.connection_string,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PostgreSQLSource:
        return cls(
            **cls._source_kwargs(data),
            query=data.get("query") or None,
            table=data.get("table") or None,
            connection_string=data.get("connection_string", ""),
        )


class PushSource(DataSource):
    """Rows pushed by the application; ``batch_source`` keeps the offline copy."""

    source_type = "push"

    def __init__(
        self,
        *,
        name: str,
        batch_source: DataSource,
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
    ) -> None:
        if not isinstance(batch_source, DataSource) or isinstance(batch_source, (PushSource, RequestSource)):
            raise DefinitionError(f"push source {name!r}: batch_source must be a batch data source such as FileSource")
        self._init_source(
            name,
            batch_source.timestamp_field,
            batch_source.created_timestamp_column,
            batch_source.field_mapping,
            "",
            description,
            tags,
            owner,
        )
        self.batch_source = batch_source

    def to_dict(self) -> dict[str, Any]:
        return {**self._meta_dict(), "type": self.source_type, "batch_source": self.batch_source.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PushSource:
        return cls(
            name=data["name"],
            batch_source=source_from_dict(data["batch_source"]),
            description=data.get("description", ""),
            tags=data.get("tags"),
            owner=data.get("owner", ""),
        )


class RequestSource(DataSource):
    """Columns supplied with each request, feeding on-demand feature views."""

    source_type = "request"

    def __init__(
        self,
        *,
        name: str,
        schema: list[Field],
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
    ) -> None:
        self._init_source(name, "", "", None, "", description, tags, owner)
        if not schema or not all(isinstance(f, Field) for f in schema):
            raise DefinitionError(f"request source {name!r}: schema must be a non-empty list of Field")
        self.schema = list(schema)

    def to_dict(self) -> dict[str, Any]:
        return {**self._meta_dict(), "type": self.source_type, "schema": [f.to_dict() for f in self.schema]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestSource:
        return cls(
            name=data["name"],
            schema=[Field.from_dict(f) for f in data["schema"]],
            description=data.get("description", ""),
            tags=data.get("tags"),
            owner=data.get("owner", ""),
        )
