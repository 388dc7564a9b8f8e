"""Writes that bypass materialization: push and write_to_online_store."""

from __future__ import annotations

import enum


class PushMode(enum.Enum):
    """Where pushed rows go (Feast's names)."""

    ONLINE = 1
    OFFLINE = 2
    ONLINE_AND_OFFLINE = 3
