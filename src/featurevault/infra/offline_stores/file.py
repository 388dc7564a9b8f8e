"""Feast path ``feast.infra.offline_stores.file``: the file offline store is DuckDB over the files."""

from featurevault._backends.offline.duckdb import Config as FileOfflineStoreConfig

__all__ = ["FileOfflineStoreConfig"]
