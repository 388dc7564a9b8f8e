"""Feast path ``feast.infra.online_stores.redis``."""

from featurevault.backends.online.redis import Config as RedisOnlineStoreConfig

__all__ = ["RedisOnlineStoreConfig"]
