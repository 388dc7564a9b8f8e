"""Entry points of data quality (quarantine, profiles, validation): rows of the entry-point table (see test_entry_points.py)."""

from __future__ import annotations

from tests.integration.security.entry_row import Row

ROWS: list[Row] = []
