"""Feast path ``feast.infra.online_stores.postgres_online_store.postgres``."""

from featurevault._backends.online.postgres import Config as PostgreSQLOnlineStoreConfig

__all__ = ["PostgreSQLOnlineStoreConfig"]
