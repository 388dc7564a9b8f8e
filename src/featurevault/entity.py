"""Feast-compatible import path."""

from featurevault._model.entity import Entity

__all__ = ["Entity"]
