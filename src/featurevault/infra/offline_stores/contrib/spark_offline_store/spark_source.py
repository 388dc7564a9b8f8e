"""Feast path ``feast.infra.offline_stores.contrib.spark_offline_store.spark_source``: imports, and is refused at plan/apply."""

from featurevault.model.unsupported import SparkSource

__all__ = ["SparkSource"]
