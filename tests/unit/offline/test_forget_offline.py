"""forget: one entity's rows deleted online, from Delta tables (on local disk and in S3) and from the
quarantine; Parquet reported."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault import FeatureView, FileSource
from featurevault._quality import between

from tests.integration.objects.moto_server import Location

from .delta_repo import SCHEMA, T0, USER, DeltaRepo, day_rows, make_repo


@pytest.fixture
def repo(tmp_path: Path, location: Location) -> DeltaRepo:
    rules = [between("amount", 0, 1000, on_fail="quarantine")]
    repo = make_repo(tmp_path / "repo", days=2, rules=rules, location=location)
    bad = day_rows(1, users=(2, 3)).assign(amount=[-5.0, -7.0])  # both break the rule: quarantined
    repo.store.write_to_offline_store("tx_stats", bad)
    repo.store.materialize(T0, T0 + timedelta(days=5))
    parquet = tmp_path / "profile.parquet"
    pq.write_table(pa.Table.from_pandas(day_rows(0), preserve_index=False), parquet)
    profile = FeatureView(
        name="profile",
        entities=[USER],
        schema=SCHEMA,
        source=FileSource(name="profile_src", path=str(parquet), timestamp_field="event_timestamp"),
    )
    repo.store.apply([profile])
    return repo


def _quarantined_users(repo: DeltaRepo) -> list[int]:
    return sorted(e.values["user_id"] for e in repo.store.quarantine.list("tx_stats"))


def test_a_dry_run_counts_and_deletes_nothing(repo: DeltaRepo) -> None:
    report = repo.store.forget({"user_id": 2}, dry_run=True).to_dict()
    assert report["online_deleted"] == {"tx_stats": 1, "profile": 0}
    assert report["offline_deleted"] == {"tx": 2} and report["quarantine_deleted"] == {"tx_stats": 1, "profile": 0}
    assert repo.amounts() == [11.0, 12.0] and _quarantined_users(repo) == [2, 3]


def test_forget_deletes_the_entity_everywhere_it_can_and_names_what_it_cannot(repo: DeltaRepo) -> None:
    report = repo.store.forget({"user_id": 2}).to_dict()
    assert report["online_deleted"]["tx_stats"] == 1
    assert report["offline_deleted"] == {"tx": 2}
    assert report["quarantine_deleted"]["tx_stats"] == 1
    assert report["deleted_total"] == 4
    [parquet] = report["not_rewritten"]
    assert (
        parquet.startswith("profile: offline source 'profile_src' (parquet at ")
        and "belong to their producer" in parquet
    )
    assert repo.amounts() == [11.0, None]  # user 1 untouched, user 2 gone from the Delta table
    assert _quarantined_users(repo) == [3]
    online = repo.store.get_online_features(["tx_stats:amount"], [{"user_id": 1}, {"user_id": 2}]).to_dict()
    assert online["amount"] == [11.0, None]
    assert repo.amounts(as_of=1) == [11.0, 12.0]  # old versions keep it until a vacuum removes their files
    again = repo.store.forget({"user_id": 2}).to_dict()
    assert again["deleted_total"] == 0


def test_a_text_value_on_an_integer_key_is_taken_as_the_number(repo: DeltaRepo) -> None:
    report = repo.store.forget({"user_id": "2"}, dry_run=True).to_dict()
    assert report["offline_deleted"] == {"tx": 2}
