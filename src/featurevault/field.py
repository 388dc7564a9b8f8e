"""Feast-compatible import path."""

from featurevault.model.entity import Field

__all__ = ["Field"]
