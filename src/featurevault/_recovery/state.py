"""The recovery log in the registry's operational state: last backup, restore, drill and capacity plan.

Readiness reads these records (never the packages that write them), so
"backup strategy implemented", "disaster recovery tested" and "capacity
planning done" reflect what was actually run, and when.
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "recovery"


def record(registry: Any, project: str, key: str, value: Any) -> None:
    """Upsert one entry (``None`` removes it)."""
    registry.set_state(project, NAMESPACE, key, value)


def recorded(registry: Any, project: str) -> dict[str, Any]:
    state: dict[str, Any] = registry.get_state(project, NAMESPACE)
    return state
