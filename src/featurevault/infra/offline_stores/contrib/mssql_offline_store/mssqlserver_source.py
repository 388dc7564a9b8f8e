"""Feast path ``feast.infra.offline_stores.contrib.mssql_offline_store.mssqlserver_source``: imports, and is refused at plan/apply."""

from featurevault._model.unsupported import MsSqlServerSource

__all__ = ["MsSqlServerSource"]
