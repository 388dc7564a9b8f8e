"""Fixtures of the online tests: a real FeatureStore on a tmp repo (SQLite registry and online store,
DuckDB over Parquet), with "now" frozen for reads through the reader's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.online.repo_defs import ALL, T0, Harness, open_store, source_tables


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """An empty project (no definitions)."""
    store = open_store(tmp_path, {})
    store.set_now(T0)
    yield store
    store.close()


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Harness]:
    """The small repo applied, its sources filled, nothing materialized yet; now = T0 + 2h."""
    store = open_store(tmp_path, source_tables())
    store.apply(ALL)
    store.set_now(T0 + timedelta(hours=2))
    yield store
    store.close()
