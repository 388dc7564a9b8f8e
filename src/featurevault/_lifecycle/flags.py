"""Feature flags kept in the registry's operational state: set, list, remove, and a read cache.

A flag change is not a registry version (no apply): it is one state entry, namespace
``flags``, key ``kind:name``. Running servers see a change within the registry's
``cache_ttl_seconds``, as they see an apply (:class:`FlagCache`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from datetime import datetime, timezone
from typing import Any

from featurevault._backends.registry.base import Registry
from featurevault.errors import FeatureVaultError, FlagError, FlagNotFoundError
from featurevault._model import RepoContents
from featurevault._model.flags import FLAG_KINDS, FeatureFlag, FlagSet

logger = logging.getLogger(__name__)

NAMESPACE = "flags"


def load_flags(registry: Registry, project: str) -> FlagSet:
    """Every flag of ``project``; the set's version is a checksum of the stored entries."""
    return flag_set(registry.get_state(project, NAMESPACE))


def flag_set(raw: dict[str, Any]) -> FlagSet:
    flags = {target: FeatureFlag.from_dict(value) for target, value in raw.items()}
    version = zlib.crc32(json.dumps(raw, sort_keys=True, default=str).encode()) if raw else 0
    return FlagSet(flags, version)


def resolve_target(name: str, contents: RepoContents) -> str:
    """``kind:name`` of the object a flag name means (a bare name must match exactly one object)."""
    if ":" in name:
        kind, _, object_name = name.partition(":")
        if kind not in FLAG_KINDS:
            raise FlagError(f"flag {name!r}: kind {kind!r} is not one of {', '.join(FLAG_KINDS)}")
        if object_name not in contents.by_kind(kind):
            raise FlagNotFoundError(f"flag {name!r}: no {kind.replace('_', ' ')} named {object_name!r} in the registry")
        return name
    matches = [f"{kind}:{name}" for kind in FLAG_KINDS if name in contents.by_kind(kind)]
    if not matches:
        raise FlagNotFoundError(
            f"flag {name!r}: no feature view, on-demand feature view or feature service of that name in the registry"
        )
    if len(matches) > 1:
        raise FlagError(f"flag {name!r} is ambiguous: name one of {', '.join(matches)}")
    return matches[0]


def updated_flag(
    current: FeatureFlag | None,
    target: str,
    *,
    percent: float | None = None,
    enabled: bool | None = None,
    allow: list[str] | None = None,
    principal: str = "",
) -> FeatureFlag:
    """``current`` (or a new flag: enabled, 100%) with the given settings changed."""
    flag = current or FeatureFlag(target)
    changes: dict[str, Any] = {
        "updated_by": principal,
        "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if percent is not None:
        changes["percent"] = float(percent)
    if enabled is not None:
        changes["enabled"] = bool(enabled)
    if allow is not None:
        changes["allow"] = tuple(str(a) for a in allow)
    return flag.with_changes(**changes)


def store_flag(registry: Registry, project: str, flag: FeatureFlag | None, target: str) -> None:
    """Write one flag (``None`` removes it)."""
    registry.set_state(project, NAMESPACE, target, flag.to_dict() if flag is not None else None)


class FlagCache:
    """The project's flags, re-read at most every ``ttl_seconds`` (the registry cache's TTL)."""

    def __init__(self, registry: Registry, project: str, ttl_seconds: float, registry_cache: Any = None) -> None:
        self._registry = registry
        #: while the registry cache serves a stale copy (registry unreachable), flags are not re-read either
        self._registry_cache = registry_cache
        self._project = project
        self._ttl = ttl_seconds
        self._flags = FlagSet()
        self._checked_at = float("-inf")
        self._loaded = False
        self._raw: Any = None
        self._lock = threading.Lock()

    def current(self) -> FlagSet:
        """The flags of the registry cache's snapshot (re-parsed only when they changed)."""
        if self._registry_cache is not None:
            raw = self._registry_cache.state(NAMESPACE)
            if raw is not self._raw:
                self._raw, self._flags = raw, flag_set(dict(raw))
            return self._flags
        if time.monotonic() - self._checked_at >= self._ttl:
            self.refresh()
        return self._flags

    def refresh(self) -> None:
        """Re-read the flags; when the registry cannot be reached, the last good set keeps serving."""
        with self._lock:
            try:
                self._flags = load_flags(self._registry, self._project)
            except FeatureVaultError as exc:
                if not self._loaded:
                    raise
                logger.warning("registry unreachable (%s); serving the last good flags", exc)
            self._loaded = True
            self._checked_at = time.monotonic()

    def invalidate(self) -> None:
        self._checked_at = float("-inf")
        if self._registry_cache is not None:
            self._registry_cache.refresh(force=True)
