"""The whole loop on the embedded defaults: a Feast-style repo, switched by its imports only."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from featurevault import FeatureStore
from featurevault.errors import DataSourceError, FeatureViewNotFoundError
from featurevault._ops.apply import apply_contents
from featurevault._ops.repo import load_repo
from tests.support.repo_builder import RepoBuilder

FEAST_STYLE_REPO = """
from datetime import timedelta

import pandas as pd

from featurevault import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, RequestSource
from featurevault.on_demand_feature_view import on_demand_feature_view
from featurevault.types import Float32, Float64, Int64

driver = Entity(name="driver", join_keys=["driver_id"])

driver_stats_source = FileSource(
    name="driver_hourly_stats_source",
    path="data/driver_stats.parquet",
    timestamp_field="event_timestamp",
    created_timestamp_column="created",
)

driver_stats_fv = FeatureView(
    name="driver_hourly_stats",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[
        Field(name="conv_rate", dtype=Float32),
        Field(name="acc_rate", dtype=Float32),
        Field(name="avg_daily_trips", dtype=Int64),
    ],
    online=True,
    source=driver_stats_source,
    tags={"team": "driver_performance"},
)

input_request = RequestSource(
    name="vals_to_add",
    schema=[Field(name="val_to_add", dtype=Int64), Field(name="val_to_add_2", dtype=Int64)],
)


@on_demand_feature_view(
    sources=[driver_stats_fv, input_request],
    schema=[Field(name="conv_rate_plus_val1", dtype=Float64), Field(name="conv_rate_plus_val2", dtype=Float64)],
)
def transformed_conv_rate(inputs: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame()
    df["conv_rate_plus_val1"] = inputs["conv_rate"] + inputs["val_to_add"]
    df["conv_rate_plus_val2"] = inputs["conv_rate"] + inputs["val_to_add_2"]
    return df


driver_activity_v1 = FeatureService(
    name="driver_activity_v1",
    features=[driver_stats_fv[["conv_rate"]], transformed_conv_rate],
)
driver_activity_v2 = FeatureService(name="driver_activity_v2", features=[driver_stats_fv, transformed_conv_rate])

driver_stats_push_source = PushSource(name="driver_stats_push_source", batch_source=driver_stats_source)

driver_stats_fresh_fv = FeatureView(
    name="driver_hourly_stats_fresh",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[
        Field(name="conv_rate", dtype=Float32),
        Field(name="acc_rate", dtype=Float32),
        Field(name="avg_daily_trips", dtype=Int64),
    ],
    online=True,
    source=driver_stats_push_source,
    tags={"team": "driver_performance"},
)
"""

YAML = """project: my_project
registry: data/registry.db
provider: local
online_store:
    type: sqlite
    path: data/online_store.db
entity_key_serialization_version: 3
auth:
    type: no_auth
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return (
        RepoBuilder(tmp_path / "repo")
        .with_scaffold()
        .with_yaml(YAML)
        .with_file("features.py", FEAST_STYLE_REPO)
        .write()
    )


def test_feast_repo_full_loop(repo: Path) -> None:
    store = FeatureStore(repo_path=repo)
    result = apply_contents(store, load_repo(repo))
    assert result.committed and result.version == 1
    assert {v.name for v in store.list_feature_views()} == {"driver_hourly_stats", "driver_hourly_stats_fresh"}
    assert [s.name for s in sorted(store.list_feature_services(), key=lambda s: s.name)] == [
        "driver_activity_v1",
        "driver_activity_v2",
    ]

    # A re-plan of the unchanged repo finds nothing to do.
    assert not store.plan(load_repo(repo)).has_changes

    now = datetime.now(timezone.utc)
    store.materialize_incremental(end_date=now)
    online = store.get_online_features(
        features=store.get_feature_service("driver_activity_v1"),
        entity_rows=[
            {"driver_id": 1001, "val_to_add": 1, "val_to_add_2": 2},
            {"driver_id": 4242, "val_to_add": 1, "val_to_add_2": 2},
        ],
    ).to_dict()
    assert online["driver_id"] == [1001, 4242]
    assert online["conv_rate"][0] is not None and online["conv_rate"][1] is None
    assert online["conv_rate_plus_val1"][0] == pytest.approx(online["conv_rate"][0] + 1)

    entity_df = pd.DataFrame(
        {
            "driver_id": [1002, 1001, 1002],
            "event_timestamp": [now - timedelta(hours=2), now - timedelta(hours=3), now - timedelta(days=30)],
        }
    )
    training = store.get_historical_features(
        entity_df, ["driver_hourly_stats:conv_rate", "driver_hourly_stats:avg_daily_trips"]
    ).to_df()
    assert list(training["driver_id"]) == [1002, 1001, 1002]
    assert training["conv_rate"].notna().tolist() == [True, True, False]


def test_apply_rejects_missing_source_path_and_keeps_registry(repo: Path) -> None:
    store = FeatureStore(repo_path=repo)
    apply_contents(store, load_repo(repo))
    (repo / "features.py").write_text(FEAST_STYLE_REPO.replace("data/driver_stats.parquet", "data/missing.parquet"))
    with pytest.raises(DataSourceError, match="missing.parquet"):
        apply_contents(store, load_repo(repo))
    assert store.registry.version == 1


def test_removed_view_is_dropped_and_unknown_views_error(repo: Path) -> None:
    store = FeatureStore(repo_path=repo)
    apply_contents(store, load_repo(repo))
    trimmed = FEAST_STYLE_REPO.split("driver_stats_fresh_fv = FeatureView(")[0]
    (repo / "features.py").write_text(trimmed)
    result = apply_contents(store, load_repo(repo))
    assert any(c.action == "remove" and c.name == "driver_hourly_stats_fresh" for c in result.plan.changes)
    with pytest.raises(FeatureViewNotFoundError, match="driver_hourly_stats_fresh"):
        store.get_feature_view("driver_hourly_stats_fresh")
    assert [v.version for v in store.registry.registry.history(store.project)] == [2, 1]


def test_cli_quickstart_flow(tmp_path: Path) -> None:
    def cli(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "featurevault._cli.main", *args], cwd=cwd, capture_output=True, text=True
        )

    assert cli("init", "demo").returncode == 0
    demo = tmp_path / "demo"
    applied = cli("apply", cwd=demo)
    assert applied.returncode == 0, applied.stderr
    assert "Applied registry version 1" in applied.stdout
    assert "No changes" in cli("plan", cwd=demo).stdout
    assert cli("materialize-incremental", "now", cwd=demo).returncode == 0
    online = cli("get-online-features", "-f", "driver_stats_hourly:driver_conv_rate", "-e", "driver_id=1001", cwd=demo)
    assert online.returncode == 0 and '"driver_conv_rate"' in online.stdout
    listed = cli("-c", str(demo), "feature-views", "list")
    assert "driver_stats_hourly" in listed.stdout and "driver_stats_realtime" in listed.stdout
    assert cli("lint", cwd=demo).returncode == 0
    workflow = subprocess.run([sys.executable, "demo_workflow.py"], cwd=demo, capture_output=True, text=True)
    assert workflow.returncode == 0, workflow.stderr
    assert "Training frame" in workflow.stdout and "Online features" in workflow.stdout
    # The push source feeds driver_stats_realtime: the pushed row is what the next online read serves.
    before, after = workflow.stdout.split("before and after a push:")[1].strip().splitlines()[1:3]
    assert before.split()[0] == "before" and "1000" not in before
    assert after.split() == ["after", "1001", "1.000000", "1.000000", "1000"]
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=demo,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "featurevault._cli.main", "-c", str(tmp_path), "apply"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert out.stderr.strip().startswith("Error:") and "feature_store.yaml" in out.stderr
    assert "Traceback" not in out.stderr


def test_store_from_repo_config_object(repo: Path) -> None:
    from featurevault import RepoConfig

    config = RepoConfig(
        project="from_code",
        registry={"path": str(repo / "data" / "code_registry.db")},
        online_store={"type": "sqlite", "path": str(repo / "data" / "code_online.db")},
        offline_store={"type": "duckdb"},
    )
    store = FeatureStore(repo_path=repo, config=config)
    assert store.project == "from_code" and store.repo_path == repo.resolve()
    result = apply_contents(store, load_repo(repo))
    assert result.committed
    assert store.get_feature_view("driver_hourly_stats").ttl == timedelta(days=1)
