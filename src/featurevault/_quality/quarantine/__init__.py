"""Quarantined rows: Parquet under the repo's data directory (or ``quarantine.path``: another directory or
``s3://bucket/prefix``), or a table in a PostgreSQL registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from featurevault._quality.quarantine.base import (
    QuarantineBatch,
    QuarantineEntry,
    QuarantineStore,
    entries_of,
    from_jsonable,
)

DEFAULT_PATH = "data/quarantine"


def build_quarantine(
    registry_config: Any, project: str, resolve: Callable[[str], Path], quarantine_config: Any = None
) -> QuarantineStore:
    """Parquet files or objects under ``quarantine.path`` when it is set; otherwise a PostgreSQL table when
    the registry is PostgreSQL, else Parquet files under ``data/quarantine``."""
    location = getattr(quarantine_config, "path", None)
    if location:
        from featurevault._backends.offline import object_store

        if object_store.is_object_path(location):
            from featurevault._quality.quarantine.objects import ObjectQuarantine

            return ObjectQuarantine(location, project, quarantine_config.s3_endpoint_override)
        from featurevault._quality.quarantine.parquet import ParquetQuarantine

        return ParquetQuarantine(resolve(location), project)
    if getattr(registry_config, "registry_type", "") in ("sql", "postgres"):
        from featurevault._quality.quarantine.postgres import PostgresQuarantine

        return PostgresQuarantine(registry_config.path, project)
    from featurevault._quality.quarantine.parquet import ParquetQuarantine

    return ParquetQuarantine(resolve(DEFAULT_PATH), project)


__all__ = [
    "DEFAULT_PATH",
    "QuarantineBatch",
    "QuarantineEntry",
    "QuarantineStore",
    "build_quarantine",
    "entries_of",
    "from_jsonable",
]
