"""Entry points of Delta Lake offline data, retention and erasure: rows of the entry-point table (see test_entry_points.py)."""

from __future__ import annotations

from tests.integration.security.entry_row import Row

PROJECT = "project:secured"

ROWS: list[Row] = [
    Row("sdk:compact_offline", lambda e, r: e.sdk(r).compact_offline(), "UPDATE", PROJECT),
    Row("sdk:vacuum_offline", lambda e, r: e.sdk(r).vacuum_offline(dry_run=True), "DELETE", PROJECT),
    Row("cli:offline compact", lambda e, r: e.cli(r, "offline", "compact", "--format", "json"), "UPDATE", PROJECT),
    Row(
        "cli:offline vacuum",
        lambda e, r: e.cli(r, "offline", "vacuum", "--retain", "90d", "--dry-run"),
        "DELETE",
        PROJECT,
    ),
]
