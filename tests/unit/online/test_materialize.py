"""Materialization: windows, idempotence, watermarks, resuming after a failure."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault.errors import FeatureViewNotFoundError, RequestError
from featurevault._ops import materialize as materialize_ops
from tests.unit.online.repo_defs import T0, Harness

REFS = ["driver_stats:conv_rate", "driver_stats:city"]


def _read(h: Harness, ids: list[int]) -> dict[str, list[object]]:
    return h.get_online_features(REFS, {"driver_id": ids}).to_dict()


def test_window_bounds_select_rows(repo: Harness) -> None:
    result = repo.materialize(T0 - timedelta(days=30), T0, ["driver_stats"])
    assert [(v.view, v.rows) for v in result] == [("driver_stats", 3)]
    assert _read(repo, [1, 2])["city"] == ["a", "c"]  # driver 1's later row is after the window
    repo.materialize(T0, T0 + timedelta(hours=1), ["driver_stats"])
    assert _read(repo, [1, 2])["city"] == ["b", "c"]


def test_rerun_is_idempotent(repo: Harness) -> None:
    window = (T0 - timedelta(days=30), T0 + timedelta(hours=2))
    repo.materialize(*window, ["driver_stats"])
    db = repo.online_store
    before = db.read("driver_stats", [k for k in _all_keys(db, "driver_stats")])
    repo.materialize(*window, ["driver_stats"])
    assert db.read("driver_stats", _all_keys(db, "driver_stats")) == before


def _all_keys(db, table: str) -> list[bytes]:
    return [k for (k,) in db._conn().execute(f'SELECT key FROM "{db.project}:{table}" ORDER BY key')]


def test_incremental_uses_ttl_then_watermark(repo: Harness) -> None:
    end = T0 + timedelta(minutes=30)
    result = repo.materialize_incremental(end, ["driver_stats"])
    (run,) = result.views
    assert run.start == end - timedelta(days=1) and run.end == end
    assert _read(repo, [1, 3])["city"] == ["a", None]  # driver 3 is older than end - ttl
    mark = materialize_ops.watermarks(repo)["driver_stats"]
    assert mark["end"] == end.isoformat() and mark["rows"] == 2
    second = repo.materialize_incremental(T0 + timedelta(hours=2), ["driver_stats"])
    assert second.views[0].start == end and second.views[0].rows == 1
    assert _read(repo, [1])["city"] == ["b"]


def test_incremental_without_ttl_starts_at_the_beginning_of_data(repo: Harness) -> None:
    (run,) = repo.materialize_incremental(T0 + timedelta(days=1), ["global_stats"]).views
    assert run.start == T0 - timedelta(days=400)


def test_failed_run_keeps_previous_values_and_watermark(repo: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.materialize(T0 - timedelta(days=30), T0, ["driver_stats"])
    mark = materialize_ops.watermarks(repo)["driver_stats"]
    online = repo.online_store
    real_write = online.write
    calls: list[int] = []

    def failing_write(table: str, keys: list[bytes], records: list[bytes]) -> None:
        calls.append(len(keys))
        if len(calls) == 3:  # layout, first batch, then the failure
            raise OSError("disk full")
        real_write(table, keys, records)

    monkeypatch.setattr(online, "write", failing_write)
    monkeypatch.setattr(materialize_ops, "BATCH_ROWS", 1)
    with pytest.raises(OSError, match="disk full"):
        repo.materialize_incremental(T0 + timedelta(hours=2), ["driver_stats"])
    assert materialize_ops.watermarks(repo)["driver_stats"] == mark
    out = _read(repo, [1, 2])
    assert out["city"][0] in ("a", "b") and out["city"][1] == "c"  # every key still readable
    monkeypatch.setattr(online, "write", real_write)
    repo.materialize_incremental(T0 + timedelta(hours=2), ["driver_stats"])
    assert _read(repo, [1, 2])["city"] == ["b", "c"]


def test_progress_is_reported(repo: Harness) -> None:
    events: list[tuple[str, int, int | None]] = []
    result = materialize_ops.materialize(
        repo,
        T0 - timedelta(days=30),
        T0 + timedelta(hours=2),
        ["driver_stats"],
        progress=lambda *event: events.append(event),
    )
    # The engine may hand rows over in one batch or several: counts only grow, and end at the total.
    assert events[-1] == ("driver_stats", 3, 3)
    done = [rows for _, rows, _ in events]
    assert done == sorted(done) and all(0 < rows <= 3 for rows in done)
    assert all(view == "driver_stats" and total in (None, 3) for view, _, total in events)
    assert result.lines()[0].startswith("driver_stats: 3 rows from 2023-12-02")


def test_all_online_views_by_default_and_bad_names(repo: Harness) -> None:
    result = repo.materialize(T0 - timedelta(days=30), T0)
    assert {v.view for v in result} == {"driver_stats", "route_stats", "global_stats", "driver_fresh"}
    assert result.rows == sum(v.rows for v in result)
    with pytest.raises(FeatureViewNotFoundError, match="nope"):
        repo.materialize(T0, T0, ["nope"])
    with pytest.raises(RequestError, match="after end"):
        repo.materialize(T0, T0 - timedelta(days=1))


def test_schema_evolution_reads_old_records(repo: Harness) -> None:
    from featurevault import FeatureView, Field
    from featurevault.types import Int64
    from tests.unit.online import repo_defs

    repo.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2), ["route_stats"])
    old = repo_defs.route_stats
    grown = FeatureView(
        name=old.name,
        entities=old.entities,
        ttl=old.ttl,
        source=old.source,
        schema=[*old.schema, Field(name="stops", dtype=Int64)],
    )
    table = repo_defs.route_rows()
    pq.write_table(table.append_column("stops", pa.array([1, 2, 3])), repo.repo_path / "data" / "route.parquet")
    repo.apply([grown])
    resp = repo.get_online_features(["route_stats:duration", "route_stats:stops"], [{"origin": "x", "dest": "y"}])
    assert resp.to_dict()["duration"] == [1.5] and resp.to_dict()["stops"] == [None]
    assert resp.statuses["stops"][0].name == "NOT_FOUND" and resp.statuses["duration"][0].name == "PRESENT"


def test_incremental_end_before_the_watermark_moves_nothing_back(repo: Harness) -> None:
    repo.materialize_incremental(T0 + timedelta(hours=2), ["driver_stats"])
    earlier = T0 + timedelta(minutes=30)
    (run,) = repo.materialize_incremental(earlier, ["driver_stats"]).views
    assert run.start == earlier and run.rows == 0
    assert materialize_ops.watermarks(repo)["driver_stats"]["end"] == (T0 + timedelta(hours=2)).isoformat()
    assert _read(repo, [1])["city"] == ["b"]


def test_values_pushed_since_are_not_replaced_by_older_rows(repo: Harness) -> None:
    import pandas as pd

    pushed = pd.DataFrame(
        {
            "driver_id": [1, 2],
            "event_timestamp": [T0 + timedelta(minutes=30)] * 2,
            "conv_rate": [0.9, 0.9],
            "trips": [99, 99],
            "city": ["pushed", "pushed"],
        }
    )
    repo.push("driver_push", pushed)
    result = repo.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2), ["driver_fresh"])
    # driver 1's source row (T0+1h) is newer than the push; driver 2's (T0) is older, so the push stays
    out = repo.get_online_features(["driver_fresh:city"], {"driver_id": [1, 2, 3]}).to_dict()
    assert out["city"] == ["b", "pushed", "d"]
    assert result.views[0].kept_newer == 1 and result.views[0].rows == 2
    assert "1 newer online values kept" in result.lines()[0]
