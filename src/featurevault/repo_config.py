"""Feast path ``feast.repo_config``."""

from featurevault.config import RegistryConfig, RepoConfig

__all__ = ["RegistryConfig", "RepoConfig"]
