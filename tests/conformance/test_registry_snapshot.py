"""Registry snapshots: each registry dumps natively, and any snapshot restores into any registry."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from featurevault._backends.registry.base import Registry
from featurevault._recovery import registry_snapshot
from featurevault._recovery.manifest import Manifest
from featurevault._recovery.target import BackupTarget
from tests.conformance.conftest import open_registry, registry_config


def _fill(registry: Registry, project: str) -> None:
    registry.commit(project, {"feature_views": {"a": 1}}, expected_version=0, author="ann", message="")
    registry.commit(project, {"feature_views": {"a": 2, "b": "ü"}}, expected_version=1, author="bob", message="two")
    registry.set_state(project, "materialization", "a", {"end": "2024-01-01T00:00:00+00:00", "rows": 3})
    registry.set_state(project, "tokens", "ci", {"hash": "live-token"})
    registry.set_state(project, "audit", "head", {"seq": 7})


def _manifest(files: list, registry: Registry, project: str) -> Manifest:
    return Manifest(
        "b1",
        project,
        "2024-01-01T00:00:00+00:00",
        "0",
        registry.type_name,
        2,
        "sqlite",
        ["registry"],
        None,
        None,
        files=files,
    )


@pytest.mark.parametrize("destination", ["sqlite", "postgres"])
def test_snapshot_restores_versions_and_state_into_any_registry(
    registry: Registry, project: str, destination: str, tmp_path: Path
) -> None:
    _fill(registry, project)
    target = BackupTarget.open(str(tmp_path / "b"), Path)
    files = registry_snapshot.dump(registry, project, target, "b1")
    assert all(f.size > 0 and len(f.sha256) == 64 for f in files)
    # after the backup: a new version, a revoked token, a later audit head
    registry.commit(project, {"feature_views": {}}, expected_version=2, author="eve", message="oops")
    registry.set_state(project, "tokens", "ci", None)
    registry.set_state(project, "audit", "head", {"seq": 9})

    other = open_registry(registry_config(destination, tmp_path / "dest"))
    if destination == "postgres":
        into_project = f"{project}_r{uuid.uuid4().hex[:4]}"
        other.set_state(into_project, "tokens", "ci", None)
        other.set_state(into_project, "audit", "head", {"seq": 9})
    else:
        into_project = project
        other.set_state(into_project, "audit", "head", {"seq": 9})
    try:
        rows = registry_snapshot.read_rows(target, _manifest(files, registry, project))
        registry_snapshot.load(other, into_project, rows)
        registry_snapshot.load(other, into_project, rows)  # a rerun gives the same result
        assert other.latest_version(into_project) == 2
        snapshot = other.load(into_project)
        assert snapshot is not None and snapshot.contents == {"feature_views": {"a": 2, "b": "ü"}}
        assert [v.author for v in other.history(into_project)] == ["bob", "ann"]
        assert other.get_state(into_project, "materialization")["a"]["rows"] == 3
        assert other.get_state(into_project, "tokens") == {}  # a revoked token is not brought back
        assert other.get_state(into_project, "audit") == {"head": {"seq": 9}}  # the audit head never goes back
    finally:
        other.delete_project(into_project)
        other.close()
