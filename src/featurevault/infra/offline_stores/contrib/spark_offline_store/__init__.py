"""Feast's Spark offline store package."""

__all__: list[str] = []
