"""The registry interface, checked alike on every backend (see conftest.REGISTRY_BACKENDS)."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from featurevault._backends.registry.base import Registry
from featurevault._config import RegistryConfig
from featurevault.errors import RegistryConflictError

CONTENTS = {
    "entities": [{"name": "driver", "join_keys": ["driver_id"], "description": "ünïcødé 🚗"}],
    "feature_views": [{"name": "stats", "ttl": 86400, "tags": {"team": "ml"}, "nested": {"a": [1, 2.5, None]}}],
}


def commit(registry: Registry, project: str, expected: int, **contents: Any) -> int:
    return registry.commit(
        project, contents or CONTENTS, expected_version=expected, author="tester", message=f"v{expected + 1}"
    )


def test_empty_project(registry: Registry, project: str) -> None:
    assert registry.latest_version(project) == 0
    assert registry.load(project) is None
    assert registry.load(project, 1) is None
    assert registry.history(project) == []
    assert registry.get_state(project, "watermarks") == {}


def test_commit_and_load_round_trip(registry: Registry, project: str) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    version = registry.commit(
        project, CONTENTS, expected_version=0, author="alice", message="first apply", meta={"objects": 2}
    )
    assert version == 1
    assert registry.latest_version(project) == 1
    snapshot = registry.load(project)
    assert snapshot is not None
    assert snapshot.contents == CONTENTS
    assert snapshot.info.version == 1
    assert snapshot.info.author == "alice"
    assert snapshot.info.message == "first apply"
    assert snapshot.info.meta == {"objects": 2}
    assert before <= snapshot.info.created_at <= datetime.now(timezone.utc) + timedelta(seconds=5)


def test_versions_and_history(registry: Registry, project: str) -> None:
    for expected in range(3):
        assert commit(registry, project, expected, n=expected) == expected + 1
    assert registry.latest_version(project) == 3
    assert registry.load(project).contents == {"n": 2}  # type: ignore[union-attr]
    assert registry.load(project, 1).contents == {"n": 0}  # type: ignore[union-attr]
    assert [v.version for v in registry.history(project)] == [3, 2, 1]
    assert [v.version for v in registry.history(project, limit=2)] == [3, 2]
    assert [v.message for v in registry.history(project)] == ["v3", "v2", "v1"]


def test_stale_commit_conflicts_and_keeps_the_winner(registry: Registry, project: str) -> None:
    commit(registry, project, 0, winner=True)
    with pytest.raises(RegistryConflictError, match="re-"):
        commit(registry, project, 0, winner=False)
    assert registry.latest_version(project) == 1
    assert registry.load(project).contents == {"winner": True}  # type: ignore[union-attr]
    assert commit(registry, project, 1, replanned=True) == 2  # re-planning against the new version works


def test_commit_ahead_of_the_newest_version_conflicts(registry: Registry, project: str) -> None:
    registry.commit(project, {"v": 1}, expected_version=0, author="a", message="first")
    with pytest.raises(RegistryConflictError):
        registry.commit(project, {"v": 3}, expected_version=2, author="b", message="from the future")
    assert registry.latest_version(project) == 1


def test_projects_are_separate(registry: Registry, project: str) -> None:
    other = project + "_other"
    try:
        commit(registry, project, 0, mine=1)
        commit(registry, other, 0, theirs=1)
        registry.set_state(other, "wm", "fv", "t1")
        commit(registry, project, 1, mine=2)
        assert registry.latest_version(other) == 1
        registry.delete_project(project)
        assert registry.latest_version(project) == 0
        assert registry.load(other).contents == {"theirs": 1}  # type: ignore[union-attr]
        assert registry.get_state(other, "wm") == {"fv": "t1"}
    finally:
        registry.delete_project(other)


def test_state_get_set_delete(registry: Registry, project: str) -> None:
    registry.set_state(project, "watermarks", "driver_stats", {"end": "2024-01-01T00:00:00+00:00", "rows": 3})
    registry.set_state(project, "watermarks", "other", 1.5)
    registry.set_state(project, "flags", "driver_stats", ["a", "ü"])
    assert registry.get_state(project, "watermarks") == {
        "driver_stats": {"end": "2024-01-01T00:00:00+00:00", "rows": 3},
        "other": 1.5,
    }
    registry.set_state(project, "watermarks", "other", 2)  # upsert
    registry.set_state(project, "watermarks", "driver_stats", None)  # None deletes
    registry.set_state(project, "watermarks", "never_set", None)
    assert registry.get_state(project, "watermarks") == {"other": 2}
    assert registry.get_state(project, "flags") == {"driver_stats": ["a", "ü"]}
    assert registry.latest_version(project) == 0  # state changes make no versions


def test_delete_project_removes_versions_and_state(registry: Registry, project: str) -> None:
    commit(registry, project, 0)
    registry.set_state(project, "wm", "k", 1)
    registry.delete_project(project)
    assert registry.latest_version(project) == 0
    assert registry.history(project) == []
    assert registry.get_state(project, "wm") == {}
    assert commit(registry, project, 0) == 1  # the project starts over


def _racing_commit(config: RegistryConfig, project: str, name: str, barrier: Any, results: Any) -> None:
    from pathlib import Path

    from featurevault._config import backend_module

    registry = backend_module("registry", config.registry_type).Store.from_config(config, resolve=Path)
    try:
        expected = registry.latest_version(project)  # both plan against the same version
        barrier.wait(timeout=30)
        try:
            registry.commit(project, {"by": name}, expected_version=expected, author=name, message="race")
            results.put((name, "won"))
        except RegistryConflictError:
            results.put((name, "conflict"))
    finally:
        registry.close()


@pytest.mark.parametrize("round_", range(3))
def test_racing_commits_from_two_processes(
    registry: Registry, registry_config_of_backend: RegistryConfig, project: str, round_: int
) -> None:
    commit(registry, project, 0)
    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded test process
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_racing_commit, args=(registry_config_of_backend, project, name, barrier, results))
        for name in ("left", "right")
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    outcomes = dict(results.get(timeout=5) for _ in procs)
    assert sorted(outcomes.values()) == ["conflict", "won"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    assert registry.latest_version(project) == 2
    assert registry.load(project).contents == {"by": winner}  # type: ignore[union-attr]
    assert [v.author for v in registry.history(project)] == [winner, "tester"]


def test_metrics_are_appended_and_filtered(registry: Registry, project: str) -> None:
    from featurevault._backends.registry.base import MetricPoint

    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    points = [
        MetricPoint("users", "amount", "psi", t0, 0.05),
        MetricPoint("users", "", "freshness", t0, 60.0),
        MetricPoint("users", "amount", "psi", t0 + timedelta(hours=1), 0.3),
        MetricPoint("orders", "total", "psi", t0 + timedelta(hours=1), 0.01),
    ]
    registry.record_metrics(project, points[:2])
    registry.record_metrics(project, points[2:])
    # ordered by time, then view, metric and feature
    assert registry.metrics(project) == [points[1], points[0], points[3], points[2]]
    assert registry.metrics(project, view="users", metric="psi") == [points[0], points[2]]
    assert registry.metrics(project, since=t0 + timedelta(minutes=30)) == [points[3], points[2]]
    assert registry.metrics(f"{project}_other") == []
    registry.delete_project(project)
    assert registry.metrics(project) == []
