"""Feast-compatible import path."""

from featurevault._model.entity import Field

__all__ = ["Field"]
