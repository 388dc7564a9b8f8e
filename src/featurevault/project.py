"""Feast path ``feast.project``."""

from featurevault._model.project import Project

__all__ = ["Project"]
