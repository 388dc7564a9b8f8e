"""Feast's Trino offline store package (not implemented here)."""

__all__: list[str] = []
