"""What a recovery operation works on: the project, its raw registry and online store, the backup target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from featurevault._backends.online.base import OnlineStore
from featurevault._backends.registry.base import Registry
from featurevault._config import BackupConfig, DrConfig
from featurevault._recovery.state import NAMESPACE
from featurevault._recovery.target import BackupTarget


@dataclass
class RecoveryContext:
    project: str
    registry: Registry
    online: OnlineStore
    target: BackupTarget
    signing_key: bytes | None
    backup_config: BackupConfig
    dr_config: DrConfig

    def watermarks(self) -> dict[str, Any]:
        from featurevault._ops.materialize import NAMESPACE as MATERIALIZATION

        return self.registry.get_state(self.project, MATERIALIZATION)

    def state(self) -> dict[str, Any]:
        return self.registry.get_state(self.project, NAMESPACE)
