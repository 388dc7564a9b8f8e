"""Quarantined rows: Parquet under the repo's data directory, or a table in a PostgreSQL registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from featurevault.quality.quarantine.base import (
    QuarantineBatch,
    QuarantineEntry,
    QuarantineStore,
    entries_of,
    from_jsonable,
)

DEFAULT_PATH = "data/quarantine"


def build_quarantine(registry_config: Any, project: str, resolve: Callable[[str], Path]) -> QuarantineStore:
    """A PostgreSQL table when the registry is PostgreSQL, else Parquet files under ``data/quarantine``."""
    if getattr(registry_config, "registry_type", "") in ("sql", "postgres"):
        from featurevault.quality.quarantine.postgres import PostgresQuarantine

        return PostgresQuarantine(registry_config.path, project)
    from featurevault.quality.quarantine.parquet import ParquetQuarantine

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
