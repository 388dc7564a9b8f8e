"""Feast's older path ``feast.infra.online_stores.contrib.postgres``."""

from featurevault._backends.online.postgres import Config as PostgreSQLOnlineStoreConfig

__all__ = ["PostgreSQLOnlineStoreConfig"]
