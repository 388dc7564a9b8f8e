"""Feast's PostgreSQL offline store package."""

__all__: list[str] = []
