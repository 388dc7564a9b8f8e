"""Feast-compatible import path."""

from featurevault.types import ValueType

__all__ = ["ValueType"]
