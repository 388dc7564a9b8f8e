"""Materialization with ``batch_engine: spark``: latest rows computed in Spark, written by the executors
to Redis and PostgreSQL (the real services), with the embedded path's results, watermarks and rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault.errors import FeatureVaultError
from featurevault._ops import materialize as materialize_ops
from tests.unit.online.repo_defs import T0, Harness, driver_rows

from .spark_repo import _drop_namespace, _online_section, namespace, spark_repo

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("spark")]

REFS = ["driver_stats:trips", "driver_stats:city", "route_stats:duration", "global_stats:total"]
ROWS = {"driver_id": [1, 2, 99], "origin": ["x", "y", "x"], "dest": ["y", "x", "q"]}
#: what the embedded path serves after materializing the repo up to T0 + 2h (tests/integration/online)
EXPECTED = {
    **ROWS,
    "trips": [11, None, None],
    "city": ["b", "c", None],
    "duration": [1.5, 3.5, None],
    "total": [2, 2, 2],
}


@pytest.fixture(params=["redis", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path, spark_session: Any) -> Iterator[Harness]:
    backend = request.param
    space = namespace() + (":" if backend == "redis" else "")
    fs = spark_repo(tmp_path, _online_section(backend, space))
    try:
        fs.online_store.ping()
        fs.set_now(T0 + timedelta(hours=2))
        yield fs
    finally:
        fs.close()
        _drop_namespace(backend, space)


def test_spark_materialization_serves_what_the_embedded_path_serves(store: Harness) -> None:
    pushed = pd.DataFrame(
        {
            "driver_id": [2],
            "event_timestamp": [T0 + timedelta(minutes=30)],
            "conv_rate": [0.9],
            "trips": [99],
            "city": ["pushed"],
        }
    )
    store.push("driver_push", pushed, to="online")
    result = store.materialize_incremental(T0 + timedelta(hours=2))
    runs = {v.view: v for v in result.views}
    assert runs["driver_stats"].rows == 2 and runs["route_stats"].rows == 3 and runs["global_stats"].rows == 1
    assert runs["driver_fresh"].kept_newer == 1  # the pushed value is newer than the offline row
    assert store.get_online_features(REFS, ROWS).to_dict() == EXPECTED
    assert store.get_online_features(["driver_fresh:city"], {"driver_id": [1, 2]}).to_dict()["city"] == ["b", "pushed"]
    marks = materialize_ops.watermarks(store)
    assert marks["driver_stats"]["end"] == (T0 + timedelta(hours=2)).isoformat()
    assert marks["driver_stats"]["rows"] == 2
    again = store.materialize_incremental(T0 + timedelta(hours=3), ["driver_stats"]).views[0]
    assert again.start == T0 + timedelta(hours=2) and again.rows == 0


def test_a_failing_executor_leaves_values_and_watermark(store: Harness, tmp_path: Path) -> None:
    store.materialize(T0 - timedelta(days=30), T0, ["driver_stats"])
    mark = materialize_ops.watermarks(store)["driver_stats"]
    bad = driver_rows().set_column(3, "trips", pa.array(["many"] * 4))  # text where Int64 is declared
    pq.write_table(bad, tmp_path / "data" / "driver.parquet")
    with pytest.raises(FeatureVaultError, match="trips"):
        store.materialize_incremental(T0 + timedelta(hours=2), ["driver_stats"])
    assert materialize_ops.watermarks(store)["driver_stats"] == mark
    assert store.get_online_features(["driver_stats:city"], {"driver_id": [1, 2]}).to_dict()["city"] == ["a", "c"]
