"""Feast path ``feast.infra.offline_stores.duckdb``."""

from featurevault._backends.offline.duckdb import Config as DuckDBOfflineStoreConfig

__all__ = ["DuckDBOfflineStoreConfig"]
