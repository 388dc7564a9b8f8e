"""Feast path ``feast.infra.offline_stores.contrib.trino_offline_store.trino_source``: imports, and is refused at plan/apply."""

from featurevault._model.unsupported import TrinoSource

__all__ = ["TrinoSource"]
