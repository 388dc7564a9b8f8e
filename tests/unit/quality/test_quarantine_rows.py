"""A quarantined row's JSON, built a column at a time, is exactly what ``json.dumps`` of its values writes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pyarrow as pa

from featurevault._quality.quarantine.base import from_jsonable, jsonable, row_texts


def _reference(table: pa.Table) -> list[str]:
    return [json.dumps({k: jsonable(v) for k, v in row.items()}, sort_keys=True) for row in table.to_pylist()]


def test_row_texts_equal_json_dumps_for_every_kind() -> None:
    table = pa.table(
        {
            "z_int": pa.array([1, None, -(2**62)], pa.int64()),
            "small": pa.array([3, 4, None], pa.int16()),
            "f": pa.array([0.1, float("nan"), None]),
            "g": pa.array([float("inf"), -0.0, 1e300]),
            "s": pa.array(["plain", 'quote " back \\ é ☃ \n', None]),
            "b": pa.array([True, False, None]),
            "ts": pa.array(
                [datetime(2024, 1, 1, tzinfo=UTC), None, datetime(2024, 6, 1, 12, 30, 0, 5, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "naive": pa.array([datetime(2024, 1, 1), datetime(2024, 1, 2, 3), None], pa.timestamp("us")),
            "other_tz": pa.array(
                [datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=5)))] * 3, pa.timestamp("ms", tz="+05:00")
            ),
            "d": pa.array([date(2024, 1, 1), None, date(1999, 12, 31)]),
            "raw": pa.array([b"\x00\xff", None, b""]),
            "tags": pa.array([["a", "b"], [], None], pa.list_(pa.string())),
            "m": pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64())),
            "A_upper": pa.array([1, 2, 3]),
        }
    )
    assert row_texts(table) == _reference(table)
    back = [{k: from_jsonable(v) for k, v in json.loads(t).items()} for t in row_texts(table)]
    assert back[0]["s"] == "plain" and back[2]["ts"] == datetime(2024, 6, 1, 12, 30, 0, 5, tzinfo=UTC)
    assert back[0]["raw"] == b"\x00\xff" and back[1]["z_int"] is None


def test_row_texts_of_no_rows_and_no_columns() -> None:
    assert row_texts(pa.table({"a": pa.array([], pa.int64())})) == []
    no_columns = pa.table({"a": [1, 2]}).drop_columns(["a"])
    assert row_texts(no_columns) == _reference(no_columns) == ["{}", "{}"]
