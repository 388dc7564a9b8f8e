"""Feast's ``feast.infra`` import paths, for repos moved over by changing their imports."""

__all__: list[str] = []
