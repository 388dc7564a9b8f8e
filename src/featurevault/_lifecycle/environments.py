"""The ``environments:`` section of feature_store.yaml: a base config plus per-environment overrides.

::

    project: fraud
    registry: data/registry.db
    environments:
      staging:
        registry: data/staging.db
      prod:
        registry: {registry_type: sql, path: postgresql://...}
        online_store: {type: redis, connection_string: "..."}

The active environment is the one named by ``--env`` / ``FeatureStore(env=...)``, else by
``FEATUREVAULT_ENV``, else none (the base config). An override section is merged key by key
into the base section, unless it names another backend ``type``: then it replaces the section.
This module works on plain mappings; :mod:`featurevault._config` validates the result.
"""

from __future__ import annotations

import os
import re
from typing import Any

from featurevault.errors import ConfigError

ENV_VAR = "FEATUREVAULT_ENV"
SECTION = "environments"
#: top-level keys an environment may not override (they name the project itself)
FIXED_KEYS = ("project", "provider", SECTION)
_TYPE_KEYS = ("type", "registry_type", "sink")


def select_environment(raw: dict[str, Any], requested: str | None, source: str) -> tuple[dict[str, Any], str | None]:
    """The config mapping of the active environment, and its name (None: the base config).

    ``raw`` is the whole yaml mapping; it is not modified.
    """
    base = {k: v for k, v in raw.items() if k != SECTION}
    environments = _environments(raw.get(SECTION), source)
    name = requested if requested is not None else (os.environ.get(ENV_VAR) or None)
    if name is None:
        return base, None
    if name not in environments:
        known = ", ".join(sorted(environments)) or "none defined"
        origin = "--env" if requested is not None else ENV_VAR
        raise ConfigError(f"{source}: environment {name!r} (from {origin}) is not under '{SECTION}:' (known: {known})")
    return overlay(base, environments[name], f"{source}: {SECTION}.{name}"), name


def environment_names(raw: dict[str, Any], source: str) -> list[str]:
    return sorted(_environments(raw.get(SECTION), source))


def overlay(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    """``base`` with ``override`` merged in (sections key by key; a new backend type replaces the section)."""
    merged = dict(base)
    for key, value in override.items():
        if key in FIXED_KEYS:
            raise ConfigError(f"{where}: '{key}' cannot differ between environments")
        merged[key] = _merge_section(base.get(key), value)
    return merged


def _merge_section(base: Any, override: Any) -> Any:
    if isinstance(base, str) and isinstance(override, dict):
        base = {"path": base} if "registry_type" in override or "path" in override else {"type": base}
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override
    if any(k in override and k in base and override[k] != base[k] for k in _TYPE_KEYS):
        return dict(override)
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge_section(base.get(key), value)
    return merged


def _environments(section: Any, source: str) -> dict[str, dict[str, Any]]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: '{SECTION}' must map environment names to overrides, got {section!r}")
    for name, override in section.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
            raise ConfigError(f"{source}: environment name {name!r} must be letters, digits, '_' or '-'")
        if not isinstance(override, dict):
            raise ConfigError(f"{source}: {SECTION}.{name} must be a mapping of config keys, got {override!r}")
    return section
