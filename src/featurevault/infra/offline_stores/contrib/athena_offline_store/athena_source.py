"""Feast path ``feast.infra.offline_stores.contrib.athena_offline_store.athena_source``: imports, and is refused at plan/apply."""

from featurevault._model.unsupported import AthenaSource

__all__ = ["AthenaSource"]
