"""The quarantine is durable: a kill -9 in the middle of a quarantining materialization, then a re-run,
leaves no row both written and quarantined and none lost, with the quarantine in Parquet files
(SQLite registry), in a PostgreSQL table (PostgreSQL registry) or in S3 objects (``quarantine.path``
on moto's server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from featurevault._store import FeatureStore
from tests.conformance.conftest import POSTGRES
from tests.integration.objects.moto_server import TEST_CREDENTIALS, s3_location
from tests.unit.quality.rules_repo import T0, make_store, rows

pytestmark = pytest.mark.integration

USERS = 3_000
BAD_EVERY = 7  # users 0, 7, 14, ... carry a tier the rules refuse

CHILD = """
import sys, time
from datetime import timedelta
from featurevault._ops import materialize
from featurevault._store import FeatureStore
from tests.unit.quality.rules_repo import T0

materialize.BATCH_ROWS = 100
def progress(view, done, total):
    print(done, flush=True)
    time.sleep(0.02)
with FeatureStore(repo_path=sys.argv[1]) as store:
    store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"], progress=progress)
print("finished", flush=True)
"""


def source() -> pa.Table:
    return rows([(u, {"tier": "gold"} if u % BAD_EVERY == 0 else {}) for u in range(USERS)])


@pytest.fixture(params=["parquet", "postgres", "s3"])
def repo(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    registry, extra = "data/registry.db", ""
    schema = f"fvq_{uuid.uuid4().hex[:10]}"
    if request.param == "postgres":
        registry = '{registry_type: sql, path: "%s?schema=%s"}' % (POSTGRES, schema)
    if request.param == "s3":
        for key, value in TEST_CREDENTIALS.items():
            monkeypatch.setenv(key, value)  # the killed child inherits them
        objects = s3_location(request.getfixturevalue("moto_s3"), f"fvq-{uuid.uuid4().hex[:10]}", "quarantine")
        extra = f"quarantine:\n  path: {objects.uri}\n{objects.settings()}"
    make_store(tmp_path, stats=source(), registry=registry, extra=extra).close()
    yield tmp_path
    if request.param == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _online_users(store: FeatureStore) -> set[int]:
    out = store.get_online_features(["user_stats:tier"], [{"user_id": u} for u in range(USERS)]).to_dict()
    return {u for u, tier in zip(out["user_id"], out["tier"], strict=True) if tier is not None}


def test_kill_during_quarantining_materialization(repo: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[3]), os.environ["PYTHONPATH"]])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(repo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    for _ in range(5):  # a few batches written (and their bad rows quarantined), then the kill
        line = child.stdout.readline()
        assert line and line.strip().isdigit(), child.stderr.read() if child.stderr else line
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    if child.stderr is not None:
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    with FeatureStore(repo_path=repo) as store:
        partial_online, partial_quarantine = _online_users(store), store.list_quarantined("user_stats")
        assert 0 < len(partial_online) < USERS - USERS // BAD_EVERY  # the kill landed mid-run
        quarantined = {e.values["user_id"] for e in partial_quarantine}
        assert not quarantined & partial_online
        result = store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
        online = _online_users(store)
        entries = store.list_quarantined("user_stats")
    quarantined = [e.values["user_id"] for e in entries]
    bad = {u for u in range(USERS) if u % BAD_EVERY == 0}
    assert len(quarantined) == len(set(quarantined)) == len(bad)  # each bad row kept exactly once
    assert set(quarantined) == bad and all(e.rule == "one_of_tier" for e in entries)
    assert online == set(range(USERS)) - bad  # none lost, none both written and quarantined
    assert result.views[0].rows + result.views[0].quarantined == USERS
