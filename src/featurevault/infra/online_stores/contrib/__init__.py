"""Feast's older ``contrib`` online store paths."""

__all__: list[str] = []
