"""The Feast-style repo loop with production backends, configured in feature_store.yaml only.

Registry in PostgreSQL (its own schema), online store in Redis (its own key
prefix) or PostgreSQL (its own schema): apply, materialize, serve, teardown.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from featurevault import FeatureStore
from featurevault._ops.apply import apply_contents
from featurevault._ops.repo import load_repo
from tests.support.repo_builder import RepoBuilder
from tests.unit.test_end_to_end import FEAST_STYLE_REPO

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:10]
ONLINE = {
    "redis": f'  type: redis\n  connection_string: "127.0.0.1:6379"\n  key_prefix: "fvrepo_{RUN}:"\n',
    "postgres": f"  type: postgres\n  host: 127.0.0.1\n  database: test\n  db_schema: fvrepo_{RUN}\n  read_timeout_seconds: 10\n",
}


@pytest.fixture(scope="module", autouse=True)
def _drop_schemas() -> Iterator[None]:
    yield
    import psycopg

    with psycopg.connect("host=127.0.0.1 dbname=test user=postgres", autocommit=True) as conn:
        for schema in (f"fvrepo_{RUN}", f"fvrepo_{RUN}_registry"):
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.parametrize("online", sorted(ONLINE))
def test_repo_loop_on_production_backends(tmp_path: Path, online: str) -> None:
    project = f"prod_{online}_{RUN}"
    yaml = (
        f"project: {project}\n"
        "registry:\n"
        "  registry_type: sql\n"
        f"  path: postgresql+psycopg://postgres@127.0.0.1:5432/test?schema=fvrepo_{RUN}_registry\n"
        "  cache_ttl_seconds: 60\n"
        "provider: local\n"
        f"online_store:\n{ONLINE[online]}"
        "entity_key_serialization_version: 3\n"
    )
    repo = (
        RepoBuilder(tmp_path / "repo")
        .with_scaffold()
        .with_yaml(yaml)
        .with_file("features.py", FEAST_STYLE_REPO)
        .write()
    )
    store = FeatureStore(repo_path=repo)
    assert store.online_store.type_name == online
    assert store.registry.registry.type_name == "sql"
    assert apply_contents(store, load_repo(repo)).version == 1
    store.materialize_incremental(end_date=datetime.now(timezone.utc))
    rows = [{"driver_id": d, "val_to_add": 1, "val_to_add_2": 2} for d in (1001, 4242)]
    online_features = store.get_online_features(
        features=store.get_feature_service("driver_activity_v1"), entity_rows=rows
    ).to_dict()
    assert online_features["conv_rate"][0] is not None and online_features["conv_rate"][1] is None
    assert online_features["conv_rate_plus_val1"][0] == pytest.approx(online_features["conv_rate"][0] + 1)
    assert "driver_hourly_stats" in store.online_store.tables()

    # a second client (another process in production) sees the same registry and values
    other = FeatureStore(repo_path=repo)
    again = other.get_online_features(["driver_hourly_stats:conv_rate"], [{"driver_id": 1001}]).to_dict()
    assert again["conv_rate"] == online_features["conv_rate"][:1]
    other.close()

    store.teardown()
    assert store.online_store.tables() == []
    assert store.registry.registry.latest_version(project) == 0
    store.close()
