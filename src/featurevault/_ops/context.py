"""What operations use of a store: the typed context every ``ops`` function receives.

:class:`~featurevault._store.FeatureStore` satisfies :class:`OpsContext` structurally;
``ops`` never imports the facade. Its members are read lazily (the facade builds each
backend on first use), so an operation that needs only the registry never opens the
offline engine.

Benchmarks and the online rebuild pass smaller stand-ins that wire only the data
members (:class:`DataContext`); the few places that work without governance reach it
through :func:`guard_of` and :func:`whole_store`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from featurevault._backends.offline.base import OfflineStore
    from featurevault._backends.online.base import OnlineStore
    from featurevault._config import RepoConfig
    from featurevault._governance.guard import Guard, GuardedCall
    from featurevault._ops.registry_cache import RegistryCache
    from featurevault._quality.gate import QualityGate
    from featurevault._quality.quarantine import QuarantineStore


class DataContext(Protocol):
    """The project and its three stores: what reading and writing feature data needs."""

    @property
    def project(self) -> str: ...

    @property
    def registry(self) -> RegistryCache: ...

    @property
    def online_store(self) -> OnlineStore: ...

    @property
    def offline_store(self) -> OfflineStore: ...


class OpsContext(DataContext, Protocol):
    """A whole store as operations see it: the data members, the config, and governance."""

    @property
    def config(self) -> RepoConfig: ...

    @property
    def repo_path(self) -> Path: ...

    @property
    def guard(self) -> Guard: ...

    @property
    def quarantine(self) -> QuarantineStore: ...

    def quality_gate(self, call: GuardedCall | None = None) -> QualityGate:
        """The gate writes pass through (``call`` gives the run id and audit notes)."""
        ...


def guard_of(ctx: DataContext) -> Guard | None:
    """The context's guard; None for a stand-in that wires only the data members."""
    guard: Guard | None = getattr(ctx, "guard", None)
    return guard


def whole_store(ctx: DataContext) -> OpsContext | None:
    """``ctx`` as a whole store when it is one (it has a config); None for a data-only stand-in."""
    if getattr(ctx, "config", None) is None:
        return None
    whole: OpsContext = ctx  # type: ignore[assignment]  # it has the config, so it is a store
    return whole


__all__ = ["DataContext", "OpsContext", "guard_of", "whole_store"]
