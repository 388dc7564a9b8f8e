"""What the registry keeps about the audit trail, out of reach of whoever can edit the trail.

In the project's ``audit`` state namespace:

* ``genesis``: the first record's (seq 1) hash: the trail's true start.
* ``checkpoint:<seq>``: the hash of every ``checkpoint_every``-th record.
* ``head``: the newest record written (at most once a second, and on flush and close).
* ``keyed``: the first record written under an audit key and that key's id: from there
  on every record must carry a valid HMAC.
* ``pruned``: the last record a size rotation discarded: the trail may start after it.

Verification compares the trail with these: records cut from the start (the trail
starts after seq 1 with nothing pruned there), from the end (the trail stops before
the head or a checkpoint) and rewritten records (a hash differs from its anchor).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

#: registry state namespace of the anchors
AUDIT_NAMESPACE = "audit"
_CHECKPOINT = "checkpoint:"


@dataclass(frozen=True)
class Anchors:
    """The anchors as read back from the registry."""

    genesis: dict[str, Any] | None = None
    head: dict[str, Any] | None = None
    keyed: dict[str, Any] | None = None
    pruned: dict[str, Any] | None = None
    checkpoints: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Anchors:
        checkpoints = {
            int(name[len(_CHECKPOINT) :]): value["hash"]
            for name, value in state.items()
            if name.startswith(_CHECKPOINT)
        }
        return cls(state.get("genesis"), state.get("head"), state.get("keyed"), state.get("pruned"), checkpoints)

    @property
    def any(self) -> bool:
        return bool(self.genesis or self.head or self.keyed or self.pruned or self.checkpoints)

    def last_anchored(self) -> tuple[int, str]:
        """The highest seq the registry knows was written, and by which anchor."""
        best = (0, "")
        if self.head:
            best = max(best, (int(self.head["seq"]), "head"))
        if self.checkpoints:
            best = max(best, (max(self.checkpoints), "checkpoint"))
        if self.genesis:
            best = max(best, (1, "genesis"))
        return best


class TrailAnchor:
    """Writes the anchors of one project's trail into its registry (called from the audit writer thread)."""

    def __init__(self, registry: Any, project: str, checkpoint_every: int = 1000) -> None:
        self.registry = registry
        self.project = project
        self.checkpoint_every = checkpoint_every
        self._keyed_known = False

    def _set(self, name: str, value: dict[str, Any]) -> None:
        self.registry.set_state(self.project, AUDIT_NAMESPACE, name, value)

    def head(self, seq: int, digest: str) -> None:
        self._set("head", {"seq": seq, "hash": digest})

    def sealed(self, records: list[dict[str, Any]]) -> None:
        """Anchor the genesis, the checkpoints and the start of keying found among freshly written records."""
        every = self.checkpoint_every
        for record in records:
            seq = record["seq"]
            if seq == 1:
                self._set("genesis", {"seq": 1, "hash": record["hash"], "key_id": record.get("key_id")})
            if seq % every == 0:
                self._set(f"{_CHECKPOINT}{seq:012d}", {"hash": record["hash"]})
        keyed = next((r for r in records if "key_id" in r), None)
        if keyed is not None and not self._keyed_known:
            if "keyed" not in self.registry.get_state(self.project, AUDIT_NAMESPACE):
                self._set("keyed", {"seq": keyed["seq"], "key_id": keyed["key_id"]})
            self._keyed_known = True

    def pruned(self, seq: int, digest: str) -> None:
        """A rotation discarded records up to ``seq``: the trail may now start at ``seq + 1``."""
        self._set("pruned", {"seq": seq, "hash": digest})

    def load(self) -> Anchors:
        return Anchors.from_state(self.registry.get_state(self.project, AUDIT_NAMESPACE))
