"""The recorded lifecycle state the readiness report's DEPLOYMENT items read (promotions, flags)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from featurevault.quality.readiness import ReadinessFacts

if TYPE_CHECKING:
    from featurevault.store import FeatureStore


def deployment_facts(store: FeatureStore, facts: ReadinessFacts | None = None) -> ReadinessFacts:
    """``facts`` plus the environments this store's registry was promoted from and its flag count.

    Reads through the facade (DESCRIBE on the project, audited).
    """
    promoted = tuple(dict.fromkeys(e.meta["promoted_from"] for e in store.history() if e.meta.get("promoted_from")))
    return dataclasses.replace(facts or ReadinessFacts(), promoted_from=promoted, flags_defined=len(store.list_flags()))
