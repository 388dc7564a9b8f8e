"""Feast-compatible import path."""

from featurevault._model.types import ValueType

__all__ = ["ValueType"]
