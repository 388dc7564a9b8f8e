"""Registry snapshots: each registry backend dumps natively; any snapshot restores into any registry."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from featurevault.errors import RecoveryError
from featurevault._recovery import registry_postgres, registry_sqlite
from featurevault._recovery.manifest import FileEntry, Manifest
from featurevault._recovery.registry_rows import RegistryRows
from featurevault._recovery.target import BackupTarget

_DUMPERS = {"sqlite": registry_sqlite, "sql": registry_postgres}


def _backend(registry: Any) -> Any:
    module = _DUMPERS.get(registry.type_name)
    if module is None:
        raise RecoveryError(f"registry {registry.describe()}: no snapshot support for type {registry.type_name!r}")
    return module


def dump(registry: Any, project: str, target: BackupTarget, backup_id: str) -> list[FileEntry]:
    entries: list[FileEntry] = _backend(registry).dump(registry, project, target, backup_id)
    return entries


def read_rows(target: BackupTarget, manifest: Manifest) -> RegistryRows:
    """The registry rows of a backup (its files are downloaded to a scratch directory first)."""
    names = [f.path for f in manifest.files if f.part == "registry"]
    with tempfile.TemporaryDirectory(prefix="featurevault-restore-") as scratch:
        local = {}
        for name in names:
            local[name] = Path(scratch) / name
            with target.reader(manifest.backup_id, name) as source, local[name].open("wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
        if registry_sqlite.FILE in local:
            return registry_sqlite.read_rows(local[registry_sqlite.FILE])
        if registry_postgres.VERSIONS_FILE in local:
            return registry_postgres.read_rows(
                local[registry_postgres.VERSIONS_FILE], local[registry_postgres.STATE_FILE]
            )
    raise RecoveryError(f"backup {manifest.backup_id} holds no registry snapshot")


def load(registry: Any, project: str, rows: RegistryRows) -> None:
    _backend(registry).load(registry, project, rows.for_project(project))
