"""Feast path ``feast.project``."""

from featurevault.model.project import Project

__all__ = ["Project"]
