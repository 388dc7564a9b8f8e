"""A read-through cache of the registry's newest version.

Readers (online reads, the server) see an apply made by another process within
``cache_ttl_seconds`` without a restart. A check is one cheap
``latest_version`` query; the snapshot is parsed only when it changed. When the
registry cannot be reached, the last good copy keeps serving and ``stale``
says so, instead of failing reads.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from featurevault.backends.registry.base import Registry
from featurevault.errors import FeatureVaultError, RegistryError
from featurevault.model import RepoContents

logger = logging.getLogger(__name__)

#: loaders for kinds stored beside the core ones (permissions, ...): kind -> from_dict
EXTRA_KINDS: dict[str, Any] = {}


class RegistryCache:
    """The project's current definitions, refreshed at most every ``ttl_seconds``."""

    def __init__(self, registry: Registry, project: str, ttl_seconds: float) -> None:
        self.registry = registry
        self.project = project
        self.ttl_seconds = ttl_seconds
        self.version = 0
        self.stale = False
        self._contents = RepoContents()
        self._loaded = False
        self._checked_at = float("-inf")
        self._refreshed_at = time.time()
        self._lock = threading.Lock()

    def contents(self) -> RepoContents:
        """The current definitions (possibly up to ``ttl_seconds`` old)."""
        if time.monotonic() - self._checked_at >= self.ttl_seconds:
            self.refresh()
        return self._contents

    def versioned_contents(self) -> tuple[int, RepoContents]:
        """(version, contents): the version number keys caches built from the contents."""
        contents = self.contents()
        return self.version, contents

    @property
    def age_seconds(self) -> float:
        """Seconds since the cache last confirmed it holds the newest version."""
        return max(0.0, time.time() - self._refreshed_at)

    @property
    def loaded(self) -> bool:
        return self._loaded

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            if not force and time.monotonic() - self._checked_at < self.ttl_seconds:
                return
            try:
                latest = self.registry.latest_version(self.project)
                if force or latest != self.version or not self._loaded:
                    self._load(latest)
            except FeatureVaultError as exc:
                if not self._loaded:
                    raise
                if not self.stale:
                    logger.warning(
                        "registry unreachable (%s); serving the last good copy (version %s)", exc, self.version
                    )
                self.stale = True
                self._checked_at = time.monotonic()
                return
            self.stale = False
            self._checked_at = time.monotonic()
            self._refreshed_at = time.time()

    def _load(self, latest: int) -> None:
        snapshot = self.registry.load(self.project) if latest else None
        if snapshot is None:
            self._contents, self.version = RepoContents(), 0
        else:
            try:
                self._contents = RepoContents.from_dict(snapshot.contents, EXTRA_KINDS)
            except FeatureVaultError:
                raise
            except Exception as exc:
                raise RegistryError(
                    f"registry version {snapshot.info.version} of project {self.project!r} cannot be read: {exc}"
                ) from exc
            self.version = snapshot.info.version
        self._loaded = True
        logger.debug("registry of %s loaded at version %s", self.project, self.version)

    def invalidate(self) -> None:
        """Force a check on the next read (after this process applied)."""
        self._checked_at = float("-inf")

    def close(self) -> None:
        self.registry.close()
