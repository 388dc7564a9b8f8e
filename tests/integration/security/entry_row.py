"""One row of the entry-point table (see test_entry_points.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.integration.security.entry_point_env import EntryPointEnv


@dataclass(frozen=True)
class Row:
    entry: str  # "sdk:<method>", "cli:<command words>", "http:<METHOD> <path template>"
    call: Callable[[EntryPointEnv, str], Any]
    action: str  # the audit record's action
    resource: str  # one of the audit record's resources
    fresh: bool = False  # run on a repo of its own (the call destroys or rewrites the shared one)
