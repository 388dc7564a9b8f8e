"""Feast path ``feast.infra.offline_stores.bigquery_source``: imports, and is refused at plan/apply."""

from featurevault._model.unsupported import BigQuerySource

__all__ = ["BigQuerySource"]
