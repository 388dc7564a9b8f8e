"""Feast path ``feast.repo_config``."""

from featurevault._config import RegistryConfig, RepoConfig

__all__ = ["RegistryConfig", "RepoConfig"]
