"""SparkSource: a table, a SQL query or files that an Apache Spark engine reads (Feast's ``SparkSource``).

Exactly one of ``table`` (a catalog table), ``query`` (Spark SQL) and
``path`` (with ``file_format`` parquet, csv or delta) is given. A ``path``
source is read by the embedded DuckDB engine as well, so a repo moves between
a laptop and a cluster without changing its definitions.
"""

from __future__ import annotations

from typing import Any

from featurevault.errors import DefinitionError
from featurevault._model.sources import DataSource, FileFormat

SPARK_FILE_FORMATS = ("parquet", "csv", "delta")


class SparkSource(DataSource):
    """Rows that Spark reads: ``table=``, ``query=`` or ``path=`` + ``file_format=``."""

    source_type = "spark"

    def __init__(
        self,
        *,
        name: str = "",
        table: str | None = None,
        query: str | None = None,
        path: str | None = None,
        file_format: Any = None,
        timestamp_field: str = "",
        created_timestamp_column: str = "",
        field_mapping: dict[str, str] | None = None,
        date_partition_column: str = "",
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
        event_timestamp_column: str = "",
    ) -> None:
        given = [k for k, v in (("table", table), ("query", query), ("path", path)) if v]
        label = name or table or path or "unnamed"
        if len(given) != 1:
            raise DefinitionError(f"spark source {label!r}: give exactly one of table=, query= or path=")
        if not name:
            if not table:
                raise DefinitionError("spark source: name is required with query= or path=")
            name = table.replace(".", "_")
        self._init_source(
            name,
            timestamp_field or event_timestamp_column,
            created_timestamp_column,
            field_mapping,
            date_partition_column,
            description,
            tags,
            owner,
        )
        self.table = table or ""
        self.query = query or ""
        self.path = path or ""
        self.file_format = _spark_format(self.name, file_format) if path else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._source_dict(),
            "table": self.table,
            "query": self.query,
            "path": self.path,
            "file_format": self.file_format,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SparkSource:
        return cls(
            **cls._source_kwargs(data),
            table=data.get("table") or None,
            query=data.get("query") or None,
            path=data.get("path") or None,
            file_format=data.get("file_format") or None,
        )


def _spark_format(name: str, file_format: Any) -> str:
    if file_format is None or file_format == "":
        return "parquet"
    fmt = file_format.format_name if isinstance(file_format, FileFormat) else str(file_format).lower()
    if fmt not in SPARK_FILE_FORMATS:
        raise DefinitionError(f"spark source {name!r}: file_format {file_format!r} is not one of {SPARK_FILE_FORMATS}")
    return fmt
