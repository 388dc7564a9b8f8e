"""Feast path ``feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source``."""

from featurevault._model.sources import PostgreSQLSource

__all__ = ["PostgreSQLSource"]
