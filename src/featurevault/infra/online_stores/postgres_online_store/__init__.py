"""Feast's PostgreSQL online store package."""

__all__: list[str] = []
