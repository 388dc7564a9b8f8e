"""Feast path ``feast.infra.online_stores.redis``."""

from featurevault._backends.online.redis import Config as RedisOnlineStoreConfig

__all__ = ["RedisOnlineStoreConfig"]
