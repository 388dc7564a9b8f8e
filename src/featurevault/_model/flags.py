"""Feature flags: plain data and the decision per entity, no I/O.

A flag targets one feature view, on-demand view or feature service (``kind:name``). For an
entity it is *on* when the flag is enabled and either the entity is on the allow-list or the
entity's bucket is below the rollout percentage. The bucket is a stable hash of the flag's
target and the entity key (CRC-32 over ``target|key``, modulo 10,000), so the same entity
always gets the same answer and a rollout that grows from 10% to 20% keeps the first 10%.
A feature behind a flag that is off for an entity is served as missing with status
``FLAG_OFF`` (see featurevault._ops.online_response.FieldStatus).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Any

from featurevault.errors import FlagError

#: kinds a flag may target
FLAG_KINDS = ("feature_view", "on_demand_feature_view", "feature_service")
BUCKETS = 10_000


@dataclass(frozen=True)
class FeatureFlag:
    """The rollout of one object. ``percent`` is 0..100; ``allow`` holds entity keys as text."""

    target: str  # kind:name
    enabled: bool = True
    percent: float = 100.0
    allow: tuple[str, ...] = ()
    updated_by: str = ""
    updated_at: str = ""

    def __post_init__(self) -> None:
        kind, _, name = self.target.partition(":")
        if kind not in FLAG_KINDS or not name:
            raise FlagError(f"flag target {self.target!r} must be kind:name with kind one of {', '.join(FLAG_KINDS)}")
        if not 0.0 <= float(self.percent) <= 100.0:
            raise FlagError(f"flag {self.target}: percent {self.percent!r} must be between 0 and 100")

    @property
    def kind(self) -> str:
        return self.target.partition(":")[0]

    @property
    def name(self) -> str:
        return self.target.partition(":")[2]

    @property
    def all_on(self) -> bool:
        """On for every entity: nothing to compute per row."""
        return self.enabled and self.percent >= 100.0

    @property
    def all_off(self) -> bool:
        """Off for every entity."""
        return not self.enabled or (self.percent <= 0.0 and not self.allow)

    @property
    def threshold(self) -> int:
        return int(round(self.percent * BUCKETS / 100.0))

    def with_changes(self, **changes: Any) -> FeatureFlag:
        return replace(self, **changes)

    def decide(self, keys: list[str]) -> list[bool]:
        """On/off for each entity key (text form, see :func:`entity_key_text`)."""
        if self.all_on:
            return [True] * len(keys)
        if self.all_off:
            return [False] * len(keys)
        salt = (self.target + "|").encode()
        threshold, allow = self.threshold, frozenset(self.allow)
        crc = zlib.crc32
        salted = zlib.crc32(salt)
        on = [crc(k.encode(), salted) % BUCKETS < threshold for k in keys]
        if allow:
            on = [o or k in allow for o, k in zip(on, keys, strict=True)]
        return on

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "enabled": self.enabled,
            "percent": float(self.percent),
            "allow": list(self.allow),
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureFlag:
        return cls(
            target=data["target"],
            enabled=bool(data.get("enabled", True)),
            percent=float(data.get("percent", 100.0)),
            allow=tuple(str(a) for a in data.get("allow", ())),
            updated_by=data.get("updated_by", ""),
            updated_at=data.get("updated_at", ""),
        )


@dataclass(frozen=True)
class FlagSet:
    """Every flag of a project at one moment; ``version`` changes whenever a flag does."""

    flags: dict[str, FeatureFlag] = field(default_factory=dict)
    version: int = 0

    def get(self, target: str) -> FeatureFlag | None:
        return self.flags.get(target)

    def __bool__(self) -> bool:
        return bool(self.flags)


def entity_key_text(columns: list[list[Any]]) -> list[str]:
    """The text form of each row's entity key: join-key values (sorted by key name) joined with ``|``."""
    if len(columns) == 1:
        return list(map(str, columns[0]))
    return ["|".join(map(str, row)) for row in zip(*columns, strict=True)]


__all__ = ["BUCKETS", "FLAG_KINDS", "FeatureFlag", "FlagSet", "entity_key_text"]
