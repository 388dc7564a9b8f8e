"""The registry's lock (flock beside SQLite, an advisory lock in PostgreSQL): exclusive across processes."""

from __future__ import annotations

import multiprocessing

from featurevault._backends.registry.base import Registry
from featurevault._config import RegistryConfig
from tests.conformance.conftest import open_registry


def _try_in_another_process(config: RegistryConfig, project: str, name: str) -> bool:
    registry = open_registry(config)
    try:
        release = registry.try_lock(project, name)
        if release is not None:
            release()
        return release is not None
    finally:
        registry.close()


def test_a_held_lock_is_refused_elsewhere_and_free_after_release(
    registry: Registry, registry_config_of_backend: RegistryConfig, project: str
) -> None:
    args = (registry_config_of_backend, project, "schedule:view_a")
    with multiprocessing.get_context("spawn").Pool(1) as other_process:
        release = registry.try_lock(project, "schedule:view_a")
        assert release is not None
        try:
            assert registry.try_lock(project, "schedule:view_a") is None
            assert not other_process.apply(_try_in_another_process, args)
            other = registry.try_lock(project, "schedule:view_b")  # another name is another lock
            assert other is not None
            other()
        finally:
            release()
        assert other_process.apply(_try_in_another_process, args)
