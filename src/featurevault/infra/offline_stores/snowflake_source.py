"""Feast path ``feast.infra.offline_stores.snowflake_source``: imports, and is refused at plan/apply."""

from featurevault._model.unsupported import SnowflakeSource

__all__ = ["SnowflakeSource"]
