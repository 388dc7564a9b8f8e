"""Feast import path (a source featurevault does not implement)."""

__all__: list[str] = []
