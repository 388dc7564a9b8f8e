"""Where pushed rows go (Feast's names), kept apart from the write path so importing it is free."""

from __future__ import annotations

import enum


class PushMode(enum.Enum):
    """Where ``push()`` writes rows: the online store, the push source's batch source, or both."""

    ONLINE = 1
    OFFLINE = 2
    ONLINE_AND_OFFLINE = 3


__all__ = ["PushMode"]
