"""Latest rows per key (materialization input) and offline push (append)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault._backends.offline.base import EVENT_TS
from featurevault._backends.offline.duckdb import Store
from featurevault.errors import SchemaMismatchError
from featurevault._model import Entity, FeatureView, FileSource, PushSource
from featurevault._ops.offline_specs import source_spec, view_spec

from .conftest import make_view, ts, write_parquet


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def collect(engine: Store, view: FeatureView, *args: object, **kwargs: object) -> pa.Table:
    batches = list(engine.latest_per_key(view_spec(view), *args, **kwargs))  # type: ignore[arg-type]
    return pa.Table.from_batches(batches) if batches else pa.table({})


def test_latest_per_key_window_and_ties(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "f.parquet",
        {
            "driver_id": [1, 1, 1, 1, 2, 3],
            "event_ts": [ts(0), ts(10), ts(10), ts(50), ts(5), ts(-100)],
            "created": [ts(0), ts(20), ts(30), ts(50), ts(5), ts(0)],
            "rate": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        },
    )
    view = make_view("stats", "f.parquet", ["rate"], created="created", ttl=timedelta(days=1))
    table = collect(engine, view, ts(0), ts(10))
    assert table.column_names == ["driver_id", EVENT_TS, "rate"]
    assert table.schema.field(EVENT_TS).type == pa.timestamp("us", tz="UTC")
    rows = sorted(table.to_pylist(), key=lambda r: r["driver_id"])
    assert rows == [
        {"driver_id": 1, EVENT_TS: utc(ts(10)), "rate": 3.0},
        {"driver_id": 2, EVENT_TS: utc(ts(5)), "rate": 5.0},
    ]
    everything = collect(engine, view, None, utc(ts(1000)))
    assert sorted(everything.column("rate").to_pylist()) == [4.0, 5.0, 6.0]


def test_latest_per_key_missing_created_time_counts_as_earliest(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "f.parquet",
        {
            "driver_id": [4, 4, 5],
            "event_ts": [ts(1), ts(1), ts(1)],
            "created": [None, ts(0), None],
            "rate": [1.0, 2.0, 3.0],
        },
    )
    view = make_view("stats", "f.parquet", ["rate"], created="created")
    rows = sorted(collect(engine, view, None, ts(10)).to_pylist(), key=lambda r: r["driver_id"])
    assert [r["rate"] for r in rows] == [2.0, 3.0]


def test_latest_per_key_streams_bounded_batches(engine: Store, tmp_path: Path) -> None:
    n = 2500
    write_parquet(
        tmp_path / "f.parquet",
        {"driver_id": list(range(n)), "event_ts": [ts(i % 7) for i in range(n)], "rate": [float(i) for i in range(n)]},
    )
    view = make_view("stats", "f.parquet", ["rate"])
    batches = list(engine.latest_per_key(view_spec(view), None, ts(100), batch_rows=1000))
    assert all(b.num_rows <= 1000 for b in batches)
    assert sum(b.num_rows for b in batches) == n


def test_latest_for_entityless_view(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "g.parquet", {"event_ts": [ts(0), ts(9)], "traffic": [1.0, 2.0]})
    view = make_view("globals", "g.parquet", ["traffic"], entities=[])
    assert collect(engine, view, None, ts(5)).to_pylist() == [{EVENT_TS: utc(ts(0)), "traffic": 1.0}]
    assert sum(b.num_rows for b in engine.latest_per_key(view_spec(view), ts(20), ts(30))) == 0


def _rows(n: int, start: int = 0) -> pa.Table:
    return pa.table(
        {
            "driver_id": pa.array(range(start, start + n), pa.int64()),
            "event_ts": pa.array([ts(i) for i in range(start, start + n)], pa.timestamp("us")),
            "rate": pa.array([float(i) for i in range(start, start + n)]),
        }
    )


def test_append_to_single_parquet_file(engine: Store, tmp_path: Path) -> None:
    pq.write_table(_rows(3), tmp_path / "f.parquet")
    source = FileSource(name="src", path="f.parquet", timestamp_field="event_ts")
    engine.append(source_spec(source), _rows(2, start=3))
    assert pq.read_table(tmp_path / "f.parquet").column("driver_id").to_pylist() == [0, 1, 2, 3, 4]
    assert [p.name for p in tmp_path.iterdir()] == ["f.parquet"]  # no temporary files left behind


def test_append_to_parquet_directory_and_through_push_source(engine: Store, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    pq.write_table(_rows(3), tmp_path / "d" / "part-0.parquet")
    batch = FileSource(name="src", path="d", timestamp_field="event_ts")
    engine.append(source_spec(PushSource(name="push", batch_source=batch)), _rows(2, start=3))
    assert len(list((tmp_path / "d").iterdir())) == 2
    view = make_view("stats", "d", ["rate"], entities=[Entity(name="driver", join_keys=["driver_id"])])
    assert collect(engine, view, None, ts(100)).num_rows == 5


def test_append_to_hive_dataset_writes_into_partitions(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "h" / "date=2024-01-15" / "p.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [1.0]}
    )
    source = FileSource(name="src", path="h", timestamp_field="event_ts")
    new = pa.table(
        {
            "driver_id": [2, 3],
            "event_ts": pa.array([ts(86400), ts(0)], pa.timestamp("us")),
            "rate": [2.0, 3.0],
            "date": ["2024-01-16", "2024-01-15"],
        }
    )
    engine.append(source_spec(source), new)
    assert len(list((tmp_path / "h" / "date=2024-01-15").iterdir())) == 2
    assert len(list((tmp_path / "h" / "date=2024-01-16").iterdir())) == 1
    view = make_view("stats", "h", ["rate"])
    assert sorted(collect(engine, view, None, ts(10**6)).column("rate").to_pylist()) == [1.0, 2.0, 3.0]


def test_append_keeps_the_file_types(engine: Store, tmp_path: Path) -> None:
    original = pa.table(
        {
            "driver_id": pa.array([1], pa.int32()),
            "event_ts": pa.array([ts(0)], pa.timestamp("ns")),
            "name": pa.array(["a"], pa.string()),
            "rate": pa.array([1.0], pa.float32()),
        }
    )
    pq.write_table(original, tmp_path / "f.parquet")
    source = FileSource(name="src", path="f.parquet", timestamp_field="event_ts")
    new = pa.table(
        {
            "driver_id": [2],
            "event_ts": pa.array([utc(ts(1))], pa.timestamp("us", tz="UTC")),
            "name": pa.array(["b"], pa.large_string()),
            "rate": [2.0],
        }
    )
    engine.append(source_spec(source), new)
    stored = pq.read_table(tmp_path / "f.parquet")
    assert stored.schema == original.schema
    assert stored.column("event_ts").to_pylist()[1] == ts(1)


def test_append_to_csv(engine: Store, tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("driver_id,event_ts,rate\n1,2024-01-15 12:00:00,0.5\n")
    source = FileSource(name="src", path="f.csv", timestamp_field="event_ts")
    new = pa.table(
        {"driver_id": [2], "event_ts": pa.array([utc(ts(30))], pa.timestamp("us", tz="UTC")), "rate": [0.25]}
    )
    engine.append(source_spec(source), new)
    view = make_view("stats", "f.csv", ["rate"])
    got = sorted(collect(engine, view, None, ts(100)).to_pylist(), key=lambda r: r["driver_id"])
    assert got == [
        {"driver_id": 1, EVENT_TS: utc(ts(0)), "rate": 0.5},
        {"driver_id": 2, EVENT_TS: utc(ts(30)), "rate": 0.25},
    ]


def test_append_creates_a_missing_file(engine: Store, tmp_path: Path) -> None:
    source = FileSource(name="src", path="new/f.parquet", timestamp_field="event_ts")
    engine.append(source_spec(source), _rows(2))
    assert pq.read_table(tmp_path / "new" / "f.parquet").num_rows == 2


@pytest.mark.parametrize("layout", ["file", "directory", "csv"])
def test_append_with_wrong_columns_names_them_and_changes_nothing(engine: Store, tmp_path: Path, layout: str) -> None:
    if layout == "csv":
        target = tmp_path / "f.csv"
        target.write_text("driver_id,event_ts,rate\n1,2024-01-15 12:00:00,0.5\n")
    elif layout == "file":
        target = tmp_path / "f.parquet"
        pq.write_table(_rows(3), target)
    else:
        target = tmp_path / "d"
        target.mkdir()
        pq.write_table(_rows(3), target / "p.parquet")
    before = sorted(p.read_bytes() for p in ([target] if target.is_file() else target.iterdir()))
    source = FileSource(name="src", path=target.name, timestamp_field="event_ts")
    bad = _rows(1).drop_columns(["rate"]).append_column("speed", pa.array([1.0]))
    with pytest.raises(SchemaMismatchError, match=r"unexpected column\(s\) speed"):
        engine.append(source_spec(source), bad)
    wrong_type = _rows(1).set_column(2, "rate", pa.array(["fast"]))
    with pytest.raises(SchemaMismatchError, match="'rate'"):
        engine.append(source_spec(source), wrong_type)
    after = sorted(p.read_bytes() for p in ([target] if target.is_file() else target.iterdir()))
    assert after == before
