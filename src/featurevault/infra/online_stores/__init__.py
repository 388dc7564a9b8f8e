"""Feast's ``feast.infra.online_stores`` import paths (config classes of the stores implemented here)."""

__all__: list[str] = []
