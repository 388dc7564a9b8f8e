"""The registry interface: numbered versions of a project's definitions, plus operational state.

Every ``apply`` writes a whole new version (a snapshot of all definitions) on
top of the version it was planned against; a racing writer gets
:class:`~featurevault.errors.RegistryConflictError`. Old versions are kept, so
history and rollback are reads, not reconstructions. Materialization
watermarks and other operational state change without creating versions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class VersionInfo:
    """One entry of a project's history."""

    version: int
    created_at: datetime
    author: str
    message: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """A stored version: its info and the definitions as a JSON-able mapping."""

    info: VersionInfo
    contents: dict[str, Any]


@dataclass(frozen=True)
class MetricPoint:
    """One value of one metric (``psi``, ``freshness``...) of a view, or of one of its features, at a time."""

    view: str
    feature: str
    metric: str
    at: datetime
    value: float


@dataclass(frozen=True)
class Current:
    """The project as of one moment: what a registry cache reads on each check, in one transaction.

    ``snapshot`` is None when the newest version is the one the reader already holds
    (or when nothing was applied: ``version`` is then 0); ``state`` holds the
    operational-state namespaces asked for (namespace -> key -> value).
    """

    version: int
    snapshot: Snapshot | None
    state: dict[str, dict[str, Any]]


class Registry(ABC):
    """Base class of registries. Built once from its config section, then called."""

    type_name: str = ""
    embedded: bool = False

    @classmethod
    @abstractmethod
    def from_config(cls, config: Any, *, resolve: Callable[[str], Path]) -> Registry:
        """Build the registry from the ``registry`` section."""

    @abstractmethod
    def latest_version(self, project: str) -> int:
        """The newest version number of ``project``; 0 when nothing was applied."""

    @abstractmethod
    def load(self, project: str, version: int | None = None) -> Snapshot | None:
        """A version (the newest when ``version`` is None), or None if there is none."""

    def read_current(
        self, project: str, *, known_version: int | None = None, namespaces: tuple[str, ...] = ()
    ) -> Current:
        """The newest version (its contents unless it is ``known_version``) and state, as of one moment.

        The built-in registries read all of it in one transaction. This fallback for other
        registries pairs a version with that same version's contents (versions never change),
        but reads the state separately.
        """
        latest = self.latest_version(project)
        snapshot = self.load(project, latest) if latest and latest != known_version else None
        if snapshot is not None:
            latest = snapshot.info.version
        return Current(latest, snapshot, {ns: self.get_state(project, ns) for ns in namespaces})

    @abstractmethod
    def commit(
        self,
        project: str,
        contents: dict[str, Any],
        *,
        expected_version: int,
        author: str,
        message: str,
        meta: dict[str, Any] | None = None,
    ) -> int:
        """Store ``contents`` as version ``expected_version + 1``, atomically.

        Raise :class:`~featurevault.errors.RegistryConflictError` if another
        commit already took that number.
        """

    @abstractmethod
    def history(self, project: str, limit: int | None = None) -> list[VersionInfo]:
        """Versions, newest first."""

    @abstractmethod
    def get_state(self, project: str, namespace: str) -> dict[str, Any]:
        """Operational state (e.g. materialization watermarks): key -> JSON value."""

    @abstractmethod
    def set_state(self, project: str, namespace: str, key: str, value: Any) -> None:
        """Upsert one operational-state entry; ``None`` deletes it."""

    @abstractmethod
    @abstractmethod
    def record_metrics(self, project: str, points: list[MetricPoint]) -> None:
        """Append metric points (the monitoring history); one transaction."""

    @abstractmethod
    def metrics(
        self, project: str, *, view: str | None = None, metric: str | None = None, since: datetime | None = None
    ) -> list[MetricPoint]:
        """Recorded points, filtered by view, metric and time; ordered by time, then view, metric, feature."""

    def delete_project(self, project: str) -> None:
        """Remove every version and all state of ``project`` (teardown)."""

    @abstractmethod
    def try_lock(self, project: str, name: str) -> Callable[[], None] | None:
        """Take the exclusive lock ``name`` of ``project`` without waiting, across processes and hosts
        sharing this registry: a function that releases it, or None when someone else holds it.
        """

    def ping(self) -> None:
        self.latest_version("__ping__")

    def close(self) -> None:
        """Release connections."""

    def describe(self) -> str:
        return self.type_name
