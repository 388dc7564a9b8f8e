"""Reading PostgreSQL sources into Arrow through psycopg, on the real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from featurevault import PostgreSQLSource
from featurevault._backends.offline.postgres_source import (
    PostgresConnection,
    postgres_source_schema,
    read_postgres_source,
)
from featurevault.errors import ConfigError, DataSourceError, DefinitionError
from featurevault._model.sources import source_from_dict
from featurevault._ops.offline_specs import source_spec, view_spec

pytestmark = pytest.mark.integration

CONNECTION = PostgresConnection(host="127.0.0.1", port=5432, database="test", user="postgres")


@pytest.fixture
def table() -> Iterator[str]:
    import psycopg

    schema = f"fvsrc_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 dbname=test user=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(
            f"CREATE TABLE {schema}.driver_stats (driver_id BIGINT, conv_rate DOUBLE PRECISION, rate REAL, "
            "trips INTEGER, name TEXT, active BOOLEAN, blob BYTEA, price NUMERIC(10, 2), day DATE, "
            "tags TEXT[], scores FLOAT8[], meta JSONB, id UUID, event_ts TIMESTAMPTZ, created TIMESTAMP)"
        )
        conn.execute(
            f"INSERT INTO {schema}.driver_stats SELECT i, i / 10.0, i / 4.0, i, 'drïver ' || i, i % 2 = 0, "
            "'\\x00ff'::bytea, i + 0.25, DATE '2024-01-01' + i, ARRAY['a', 'b'], ARRAY[i, 1.5], "
            "'{\"k\": 1}'::jsonb, '6f2c0d52-1b8f-4c5e-9a3e-0d6f5a4b3c2d'::uuid, "
            "TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 hour', TIMESTAMP '2024-01-02 00:00:00' "
            "FROM generate_series(1, 2500) AS i"
        )
        conn.execute(f"INSERT INTO {schema}.driver_stats (driver_id) VALUES (9999)")  # a row of nulls
    yield f"{schema}.driver_stats"
    with psycopg.connect("host=127.0.0.1 dbname=test user=postgres", autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_source_definition_round_trips() -> None:
    source = PostgreSQLSource(name="s", query="SELECT 1", timestamp_field="ts", connection_string="${PG_URL}")
    assert source_from_dict(source.to_dict()) == source
    with pytest.raises(DefinitionError, match="exactly one"):
        PostgreSQLSource(name="s", query="SELECT 1", table="t")
    with pytest.raises(DefinitionError, match="exactly one"):
        PostgreSQLSource(name="s")


def test_table_streams_in_typed_chunks(table: str) -> None:
    source = PostgreSQLSource(name="driver_stats", table=table, timestamp_field="event_ts")
    reader = read_postgres_source(source, connection=CONNECTION, batch_rows=1000)
    batches = list(reader)
    assert [b.num_rows for b in batches] == [1000, 1000, 501]
    result = pa.Table.from_batches(batches, schema=reader.schema).sort_by("driver_id")
    assert result.schema.field("driver_id").type == pa.int64()
    assert result.schema.field("rate").type == pa.float32()
    assert result.schema.field("event_ts").type == pa.timestamp("us", tz="UTC")
    assert result.schema.field("tags").type == pa.list_(pa.string())
    first = result.slice(0, 1).to_pylist()[0]
    assert first["conv_rate"] == pytest.approx(0.1) and first["trips"] == 1 and first["name"] == "drïver 1"
    assert first["active"] is False and first["blob"] == b"\x00\xff" and first["price"] == 1.25
    assert first["day"] == date(2024, 1, 2) and first["tags"] == ["a", "b"] and first["scores"] == [1.0, 1.5]
    assert first["meta"] == '{"k": 1}' and first["id"] == "6f2c0d52-1b8f-4c5e-9a3e-0d6f5a4b3c2d"
    assert first["event_ts"] == datetime(2024, 1, 1, 1, tzinfo=timezone.utc)
    assert first["created"] == datetime(2024, 1, 2)
    last = result.slice(result.num_rows - 1).to_pylist()[0]
    assert last["driver_id"] == 9999 and all(v is None for k, v in last.items() if k != "driver_id")


def test_query_columns_and_pushed_down_filter(table: str) -> None:
    query = f"SELECT * FROM {table} WHERE trips > 100;"
    source = PostgreSQLSource(name="recent", query=query, timestamp_field="event_ts")
    reader = read_postgres_source(
        source,
        columns=["driver_id", "event_ts"],
        where_sql='"event_ts" <= %s',
        params=[datetime(2024, 1, 5, 14, tzinfo=timezone.utc)],  # driver i has its event at hour i
        connection=CONNECTION,
    )
    result = reader.read_all()
    assert result.column_names == ["driver_id", "event_ts"]
    assert sorted(result.column("driver_id").to_pylist()) == list(range(101, 111))


def test_schema_without_rows(table: str) -> None:
    source = PostgreSQLSource(name="driver_stats", table=table)
    schema = postgres_source_schema(source, connection=CONNECTION)
    assert schema.names[:3] == ["driver_id", "conv_rate", "rate"]


def test_connection_string_from_environment(table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    source = PostgreSQLSource(name="s", table=table, connection_string="${FV_TEST_PG_URL}")
    with pytest.raises(ConfigError, match="FV_TEST_PG_URL"):
        read_postgres_source(source)
    monkeypatch.setenv("FV_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    assert read_postgres_source(source, columns=["driver_id"]).read_all().num_rows == 2501


def test_errors_name_the_source(table: str) -> None:
    missing = PostgreSQLSource(name="missing", table=table + "_nope")
    with pytest.raises(DataSourceError, match="'missing'"):
        read_postgres_source(missing, connection=CONNECTION)
    far = "postgresql://postgres@127.0.0.1:1/test"
    unreachable = PostgreSQLSource(name="far", table=table, connection_string=far)
    with pytest.raises(DataSourceError, match="cannot connect"):
        read_postgres_source(unreachable)


def test_duckdb_engine_joins_and_materializes_a_postgres_source(table: str, tmp_path: Path) -> None:
    from featurevault import Entity, FeatureView, Field
    from featurevault._backends.offline import duckdb as engine
    from featurevault._backends.offline.base import EVENT_TS, ViewRequest
    from featurevault.types import Float64, Int64

    source = PostgreSQLSource(
        name="driver_stats_pg", table=table, timestamp_field="event_ts", field_mapping={"conv_rate": "rate_x"}
    )
    view = FeatureView(
        name="driver_stats",
        entities=[Entity(name="driver", join_keys=["driver_id"])],
        ttl=timedelta(hours=5),
        schema=[Field(name="rate_x", dtype=Float64), Field(name="trips", dtype=Int64)],
        source=source,
    )
    store = engine.Store(engine.Config(postgres=CONNECTION), resolve=lambda p: tmp_path / p)
    assert store.schema(source_spec(source)).field("rate_x").type == pa.float64()

    hour = timedelta(hours=1)
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    entity = pa.table(
        {
            "driver_id": pa.array([5, 5, 7, 1], pa.int64()),
            "event_timestamp": pa.array(
                [t0 + 5 * hour, t0 + 4 * hour, t0 + 20 * hour, t0], pa.timestamp("us", tz="UTC")
            ),
        }
    )
    request = ViewRequest(view=view_spec(view), features=["rate_x", "trips"], output_names=["rate_x", "trips"])
    out = store.historical(entity, [request], timestamp_column="event_timestamp").to_pydict()
    assert out["trips"] == [5, None, None, None]  # driver 5's row is at hour 5; 7's is 13 h old (ttl 5 h)
    assert out["rate_x"][0] == pytest.approx(0.5)

    batches = list(store.latest_per_key(view_spec(view), t0 + 10 * hour, t0 + 12 * hour))
    latest = pa.Table.from_batches(batches).sort_by("driver_id").to_pydict()
    assert latest["driver_id"] == [10, 11, 12]
    assert latest[EVENT_TS][0] == t0 + 10 * hour
    store.close()
