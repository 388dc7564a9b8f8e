"""Feast-compatible import path."""

from featurevault.model.types import ValueType

__all__ = ["ValueType"]
