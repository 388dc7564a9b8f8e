"""Feast's ``feast.infra.offline_stores`` import paths."""

__all__: list[str] = []
