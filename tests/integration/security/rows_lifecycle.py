"""Entry points of environments, flags, scheduled materialization and readiness: rows of the entry-point table (see test_entry_points.py)."""

from __future__ import annotations

from tests.integration.security.entry_row import Row

PROJECT = "project:secured"

ROWS: list[Row] = [
    Row("sdk:schedule_runs", lambda e, r: e.sdk(r).schedule_runs(), "DESCRIBE", PROJECT),
    Row("cli:schedule runs", lambda e, r: e.cli(r, "schedule", "runs", "--format", "json"), "DESCRIBE", PROJECT),
    Row("http:GET /schedule/runs", lambda e, r: e.http(r, "GET", "/schedule/runs"), "DESCRIBE", PROJECT),
    Row("sdk:readiness", lambda e, r: e.sdk(r).readiness(), "DESCRIBE", PROJECT),
    Row("cli:readiness", lambda e, r: e.cli(r, "readiness", "--format", "json"), "DESCRIBE", PROJECT),
    Row("http:GET /readiness", lambda e, r: e.http(r, "GET", "/readiness"), "DESCRIBE", PROJECT),
]
