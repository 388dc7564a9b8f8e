"""Entry points of Delta Lake offline data, retention and erasure: rows of the entry-point table (see test_entry_points.py)."""

from __future__ import annotations

from tests.integration.security.entry_row import Row

ROWS: list[Row] = []
