"""offline compact / vacuum / retention: every row kept by compaction, rows past retention deleted by vacuum
(Delta tables on local disk and in S3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault import FeatureView, FileSource
from featurevault._backends.offline.parquet_compact import JOURNAL, compact_parquet, recover
from featurevault.errors import FeatureViewNotFoundError
from tests.integration.objects.moto_server import Location

from .delta_repo import SCHEMA, T0, USER, DeltaRepo, day_rows, make_repo


def _delta_rows(repo: DeltaRepo) -> list[tuple[int, float]]:
    table = repo.delta_table().to_pyarrow_table()
    return sorted(zip(table.column("user_id").to_pylist(), table.column("amount").to_pylist(), strict=True))


def test_delta_compaction_merges_the_small_files_of_a_partition_and_keeps_every_row(
    tmp_path: Path, location: Location
) -> None:
    repo = make_repo(tmp_path / "repo", days=1, location=location)
    for user in range(3, 9):  # six more small files in the first day's partition
        repo.store.write_to_offline_store("tx_stats", day_rows(0, users=(user,)))
    before = _delta_rows(repo)
    assert len(repo.data_files("event_date=2024-01-01")) == 7
    result = repo.store.compact_offline().to_dict()
    [entry] = result["sources"]
    assert entry["format"] == "delta" and entry["files_removed"] == 7 and entry["files_added"] == 1
    assert _delta_rows(repo) == before and len(before) == 8
    assert len(repo.delta_table().file_uris()) == 1
    assert repo.amounts(as_of=entry["version"] - 1) == repo.amounts()  # the version before still reads the same


def _parquet_view(directory: Path) -> FeatureView:
    source = FileSource(name="events", path=str(directory), timestamp_field="event_timestamp")
    return FeatureView(name="events_stats", source=source, entities=[USER], schema=SCHEMA)


def _write_parts(directory: Path, days: int, per_day: int) -> int:
    rows = 0
    for day in range(days):
        part = directory / f"date=2024-01-0{day + 1}"
        part.mkdir(parents=True)
        for i in range(per_day):
            frame = day_rows(day, users=(10 * i + 1, 10 * i + 2))
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part / f"f{i}.parquet")
            rows += len(frame)
    return rows


def _all_rows(directory: Path) -> list[tuple[str, int, float]]:
    rows = []
    for file in directory.rglob("*.parquet"):
        table = pq.ParquetFile(file).read()
        rows += [
            (file.parent.name, u, a)
            for u, a in zip(table.column("user_id").to_pylist(), table.column("amount").to_pylist(), strict=True)
        ]
    return sorted(rows)


def test_parquet_compaction_rewrites_small_files_per_partition_and_keeps_every_row(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", days=1)
    directory = tmp_path / "events"
    total = _write_parts(directory, days=2, per_day=5)
    before = _all_rows(directory)
    repo.store.apply([_parquet_view(directory)])
    entities = pd.DataFrame({"user_id": [41, 42], "event_timestamp": [T0 + timedelta(days=3)] * 2})
    read_before = repo.store.get_historical_features(entities, ["events_stats:amount"]).to_df()
    result = repo.store.compact_offline(["events_stats"]).to_dict()
    [entry] = result["sources"]
    assert (entry["files_removed"], entry["files_added"], entry["rows"]) == (10, 2, total)
    assert _all_rows(directory) == before  # same rows, each still in its own partition
    assert sorted(p.parent.name for p in directory.rglob("*.parquet")) == ["date=2024-01-01", "date=2024-01-02"]
    read_after = repo.store.get_historical_features(entities, ["events_stats:amount"]).to_df()
    pd.testing.assert_frame_equal(read_before, read_after)


def test_parquet_compaction_interrupted_after_its_journal_is_rolled_forward(tmp_path: Path) -> None:
    directory = tmp_path / "events"
    _write_parts(directory, days=1, per_day=3)
    before = _all_rows(directory)
    part = directory / "date=2024-01-01"
    files = sorted(str(p) for p in part.glob("*.parquet"))
    # a crash after the journal: the merged file still hidden, the originals still there
    merged = pa.concat_tables([pq.ParquetFile(f).read() for f in files])
    pq.write_table(merged, part / ".fv-compact-abc.tmp")
    (part / JOURNAL).write_text(
        json.dumps({"old": [Path(f).name for f in files], "new": [[".fv-compact-abc.tmp", "part-x-compacted.parquet"]]})
    )
    (part / ".fv-compact-orphan.tmp").write_bytes(b"half a file")  # an unjournaled leftover
    recover(part)
    assert sorted(p.name for p in part.iterdir()) == ["part-x-compacted.parquet"]
    assert _all_rows(directory) == before


def test_parquet_compaction_leaves_large_files_and_lone_small_files_alone(tmp_path: Path) -> None:
    directory = tmp_path / "events"
    _write_parts(directory, days=1, per_day=2)
    files = sorted(str(p) for p in directory.rglob("*.parquet"))
    assert compact_parquet("events", files, target_bytes=1).files_removed == 0  # every file is "large"
    assert compact_parquet("events", files[:1], target_bytes=1 << 30).files_removed == 0  # nothing to merge with


def test_vacuum_deletes_rows_past_the_view_retention_and_old_files(tmp_path: Path, location: Location) -> None:
    now = datetime.now(UTC)
    repo = make_repo(tmp_path / "repo", days=1, retention=timedelta(days=90), location=location)
    old = day_rows(0).assign(event_timestamp=[now - timedelta(days=100)] * 2, amount=[-1.0, -2.0])
    recent = day_rows(0).assign(event_timestamp=[now - timedelta(days=10)] * 2, amount=[5.0, 6.0])
    repo.store.write_to_offline_store("tx_stats", old)
    repo.store.write_to_offline_store("tx_stats", recent)
    dry = repo.store.vacuum_offline(retain="0d", dry_run=True).to_dict()
    assert dry["rows_deleted"] == 4  # the two day-0 rows of 2024 and the two of 100 days ago
    assert len(_delta_rows(repo)) == 6
    done = repo.store.vacuum_offline(retain="0d").to_dict()
    [entry] = done["sources"]
    assert entry["rows_deleted"] == 4 and entry["retention_seconds"] == 90 * 86400 and entry["files_removed"] > 0
    assert _delta_rows(repo) == [(1, 5.0), (2, 6.0)]
    assert len(repo.data_files()) == len(repo.delta_table().file_uris())  # the files of old versions are gone
    from featurevault.errors import DataSourceError

    with pytest.raises(DataSourceError):  # the files of version 0 are gone: time travel ends at the vacuum
        repo.amounts(as_of=0)
    status = repo.store.recovery().status()
    assert status["last_offline_vacuum"]["rows_deleted"] == 4
    from featurevault._server.metrics import recovery_gauges

    gauges = {g.name: g.samples[0].value for g in recovery_gauges(status)}
    assert gauges["featurevault_offline_vacuum_last_rows_deleted"] == 4
    assert gauges["featurevault_offline_vacuum_last_files_removed"] == entry["files_removed"]
    assert "featurevault_offline_compact_last_timestamp_seconds" not in gauges  # no compaction ran


def test_vacuum_keeps_rows_without_retention_and_reports_parquet_sources(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", days=2)
    directory = tmp_path / "events"
    _write_parts(directory, days=1, per_day=1)
    retained = _parquet_view(directory)
    retained.retention = timedelta(days=30)
    repo.store.apply([retained])
    result = repo.store.vacuum_offline().to_dict()
    assert result["rows_deleted"] == 0 and len(_delta_rows(repo)) == 4
    [skipped] = result["skipped"]
    assert skipped.startswith("events_stats: 'events' is a Parquet source") and "retention is not applied" in skipped


def test_retention_from_a_tag_and_in_the_plan(tmp_path: Path) -> None:
    from featurevault._ops.apply import plan
    from featurevault._model import RepoContents

    repo = make_repo(tmp_path / "repo", days=1)
    tagged = FeatureView(name="tx_stats", source=repo.source, entities=[USER], schema=SCHEMA, tags={"retention": "90d"})
    assert tagged.retention == timedelta(days=90)
    desired = RepoContents()
    desired.entities["user"] = USER
    desired.feature_views["tx_stats"] = tagged
    assert plan(repo.store, desired).retention == {"tx_stats": 90 * 86400.0}
    again = FeatureView.from_dict(
        FeatureView(name="v", source=repo.source, entities=[USER], schema=SCHEMA, retention=timedelta(days=7)).to_dict()
    )
    assert again.retention == timedelta(days=7)
    from featurevault.errors import DefinitionError

    with pytest.raises(DefinitionError, match="retention"):
        FeatureView(name="v", source=repo.source, entities=[USER], schema=SCHEMA, retention="soon")


def test_maintenance_of_an_unknown_view_names_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", days=1)
    with pytest.raises(FeatureViewNotFoundError, match="'nope'"):
        repo.store.compact_offline(["nope"])
