"""Feast path ``feast.infra.online_stores.sqlite``."""

from featurevault._backends.online.sqlite import Config as SqliteOnlineStoreConfig

__all__ = ["SqliteOnlineStoreConfig"]
