"""Feast's ``LabelView``: labels (targets) kept as a feature view, joined point-in-time like any other.

Labels are read in training frames exactly as features are. Feast lets a label
view say how conflicting labels for one entity and time are resolved; here the
row with the greatest event time (then created time) always wins, which is
``ConflictPolicy.LAST_WRITE_WINS``. Another policy is accepted and noted once
in the log, as it does not change that rule yet.
"""

from __future__ import annotations

import enum
from typing import Any

from featurevault._model.feature_view import FeatureView
from featurevault._model.no_effect import note_no_effect


class ConflictPolicy(enum.Enum):
    """How two labels for one entity at one time are resolved (Feast's names)."""

    LAST_WRITE_WINS = "last_write_wins"
    FIRST_WRITE_WINS = "first_write_wins"
    MAJORITY_VOTE = "majority_vote"


class LabelView(FeatureView):
    """A feature view of labels: ``LabelView(name=..., entities=[...], schema=[...], source=...)``."""

    def __init__(self, *, conflict_policy: ConflictPolicy = ConflictPolicy.LAST_WRITE_WINS, **kwargs: Any) -> None:
        kwargs.setdefault("online", False)
        super().__init__(**kwargs)
        self.conflict_policy = ConflictPolicy(conflict_policy)
        if self.conflict_policy is not ConflictPolicy.LAST_WRITE_WINS:
            note_no_effect(f"LabelView(conflict_policy={self.conflict_policy.name})")


__all__ = ["ConflictPolicy", "LabelView"]
