"""Fixtures of the repo's generated tests (written by `featurevault scaffold ci`).

The tests run against a private copy of the repo with embedded backends (a SQLite registry
and online store under pytest's temporary directory), so they never touch a shared registry.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from featurevault import FeatureStore
from featurevault._model import FileSource, RepoContents
from featurevault._ops.repo import load_repo

REPO = Path(__file__).resolve().parents[1]
SAMPLE = 200


@pytest.fixture(scope="session")
def contents() -> RepoContents:
    return load_repo(REPO)


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeatureStore]:
    copy = tmp_path_factory.mktemp("repo") / "repo"
    ignore = shutil.ignore_patterns("tests", "*.db", "*.db-*", "__pycache__", ".git", "*.jsonl")
    shutil.copytree(REPO, copy, ignore=ignore)
    config = yaml.safe_load((copy / "feature_store.yaml").read_text())
    local = {
        key: config[key] for key in ("project", "offline_store", "entity_key_serialization_version") if key in config
    }
    local.update(
        registry="data/test_registry.db",
        online_store={"type": "sqlite", "path": "data/test_online.db"},
        audit={"sink": "none"},
    )
    (copy / "feature_store.yaml").write_text(yaml.safe_dump(local))
    with FeatureStore(copy) as fs:
        fs.apply(load_repo(copy))
        first, last = source_time_range(fs)
        fs.materialize(first, last)
        yield fs


def source_rows(store: FeatureStore, view: Any) -> pd.DataFrame:
    """The rows of a view's file source (Parquet or CSV)."""
    source = view.batch_source
    assert isinstance(source, FileSource), f"{view.name}: the generated tests read file sources only"
    path = store.config.resolve(source.path)
    frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    ts = source.timestamp_field
    frame[ts] = pd.to_datetime(frame[ts], utc=True)
    return frame.rename(columns=dict(source.field_mapping))  # under the view's names


def latest_rows(store: FeatureStore, view: Any, limit: int = SAMPLE) -> pd.DataFrame:
    """The newest row per entity key (at most ``limit`` entities)."""
    frame = source_rows(store, view).sort_values(view.batch_source.timestamp_field)
    return frame.drop_duplicates(view.join_keys, keep="last").head(limit).reset_index(drop=True)


def source_time_range(store: FeatureStore) -> tuple[datetime, datetime]:
    stamps = [source_rows(store, v)[v.batch_source.timestamp_field] for v in store.list_feature_views()]
    low = min(s.min() for s in stamps).to_pydatetime()
    high = max(s.max() for s in stamps).to_pydatetime()
    return low, max(high, datetime.now(timezone.utc))
