"""The registry cache under applies racing reads: a version is never paired with another version's contents.

Each applied version carries its own number in its contents (the description of
entity ``e`` is ``v<version>``), so a reader can check every (version, contents)
pair it gets. Readers race writers in threads of one process and across processes,
on every registry backend.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from featurevault._backends.registry.base import Registry
from featurevault._config import RegistryConfig
from featurevault.errors import RegistryConflictError
from featurevault._model import Entity, RepoContents
from featurevault._ops.registry_cache import RegistryCache
from tests.conformance.conftest import open_registry

RACE_SECONDS = 1.5


def contents_of(version: int) -> dict[str, Any]:
    contents = RepoContents()
    contents.entities["e"] = Entity(name="e", join_keys=["e_id"], description=f"v{version}")
    return contents.to_dict()


def apply_next(registry: Registry, project: str) -> int:
    """Commit the next version (retrying when another writer took the number)."""
    while True:
        expected = registry.latest_version(project)
        try:
            return registry.commit(
                project, contents_of(expected + 1), expected_version=expected, author="w", message="m"
            )
        except RegistryConflictError:
            continue


def check_pairs(cache: RegistryCache, stop: threading.Event, seen: dict[str, Any]) -> None:
    """Read until ``stop``; count reads, pairs whose contents belong to another version, versions seen."""
    while not stop.is_set():
        version, contents = cache.versioned_contents()
        current = cache.current()
        for v, c in ((version, contents), (current.version, current.contents)):
            seen["reads"] += 1
            seen["versions"].add(v)
            if c.entities["e"].description != f"v{v}":
                seen["mismatches"].append((v, c.entities["e"].description))


def race_in_threads(config: RegistryConfig, project: str, readers: int, seconds: float) -> dict[str, Any]:
    """One cache shared by ``readers`` threads, while a writer thread applies versions through its own registry."""
    cache = RegistryCache(open_registry(config), project, ttl_seconds=0)
    writer_registry = open_registry(config)
    stop = threading.Event()
    seen: dict[str, Any] = {"reads": 0, "versions": set(), "mismatches": [], "applied": 0}

    def write() -> None:
        while not stop.is_set():
            apply_next(writer_registry, project)
            seen["applied"] += 1

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so that a torn read has its chance
    threads = [threading.Thread(target=write)] + [
        threading.Thread(target=check_pairs, args=(cache, stop, seen)) for _ in range(readers)
    ]
    try:
        for thread in threads:
            thread.start()
        time.sleep(seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        sys.setswitchinterval(switch)
        cache.close()
        writer_registry.close()
    return seen


def _process_reader(config: RegistryConfig, project: str, seconds: float, results: Any) -> None:
    seen = race_in_threads(config, project, readers=3, seconds=seconds)
    results.put({**seen, "versions": len(seen["versions"])})


def _process_writer(config: RegistryConfig, project: str, seconds: float, results: Any) -> None:
    registry = open_registry(config)
    deadline = time.monotonic() + seconds
    applied = 0
    while time.monotonic() < deadline:
        apply_next(registry, project)
        applied += 1
    registry.close()
    results.put({"applied": applied})


@pytest.fixture
def racing_project(registry: Registry, project: str) -> Iterator[str]:
    registry.commit(project, contents_of(1), expected_version=0, author="w", message="m")
    yield project


def test_applies_racing_reads_in_threads(
    registry_config_of_backend: RegistryConfig, racing_project: str, registry: Registry
) -> None:
    seen = race_in_threads(registry_config_of_backend, racing_project, readers=4, seconds=RACE_SECONDS)
    assert seen["applied"] > 3 and len(seen["versions"]) > 3, seen  # the readers did see new versions
    assert seen["mismatches"] == [], (
        f"{len(seen['mismatches'])} of {seen['reads']} reads paired a version with another's contents"
    )


def test_applies_racing_reads_in_processes(
    registry_config_of_backend: RegistryConfig, racing_project: str, registry: Registry
) -> None:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    args = (registry_config_of_backend, racing_project, RACE_SECONDS + 1.0, results)
    procs = [ctx.Process(target=target, args=args) for target in (_process_reader, _process_reader, _process_writer)]
    procs.append(ctx.Process(target=_process_writer, args=args))
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    readers = [o for o in outcomes if "reads" in o]
    writers = [o for o in outcomes if "reads" not in o]
    assert len(readers) == 2 and all(r["versions"] > 2 for r in readers), outcomes
    assert sum(w["applied"] for w in writers) + sum(r["applied"] for r in readers) > 5, outcomes
    assert [r["mismatches"] for r in readers] == [[], []], outcomes
    assert registry.latest_version(racing_project) > 5


def test_one_check_reads_version_contents_and_state_together(registry: Registry, racing_project: str) -> None:
    registry.set_state(racing_project, "tokens", "alice", {"hash": "h"})
    current = registry.read_current(racing_project, namespaces=("tokens", "materialization"))
    assert current.version == 1 and current.snapshot is not None
    assert current.snapshot.info.version == 1 and current.snapshot.contents == contents_of(1)
    assert current.state == {"tokens": {"alice": {"hash": "h"}}, "materialization": {}}
    unchanged = registry.read_current(racing_project, known_version=1, namespaces=("tokens",))
    assert (
        unchanged.version == 1 and unchanged.snapshot is None and unchanged.state["tokens"] == {"alice": {"hash": "h"}}
    )
