"""Feast-compatible import path."""

from featurevault.model.entity import Entity

__all__ = ["Entity"]
