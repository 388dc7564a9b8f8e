"""The quarantine under ``quarantine.path``: a local directory or ``s3://bucket/prefix`` (moto's server on
loopback), with write, list, show, release, forget and purge the same in both, and object-storage errors
that name the location, the endpoint and the cause."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from featurevault.errors import BackendError
from featurevault._quality import one_of
from featurevault._store import FeatureStore
from tests.integration.objects.moto_server import TEST_CREDENTIALS, Location, MotoServer
from tests.unit.quality.rules_repo import T0, make_store, views

pytestmark = pytest.mark.integration

#: the users of rules_repo.mixed_rows that break a rule, by rule
BROKEN = {"not_null_total": 10, "between_avg_amount": 11, "one_of_tier": 12, "matches_email": 13, "max_ge_avg": 14}


@pytest.fixture
def store(tmp_path: Path, location: Location) -> Iterator[FeatureStore]:
    built = make_store(tmp_path / "repo", extra=f"quarantine:\n  path: {location.uri}\n{location.settings()}")
    built.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    yield built
    built.close()


def test_quarantined_rows_are_kept_at_the_location(store: FeatureStore, location: Location) -> None:
    entries = store.list_quarantined("user_stats")
    assert {e.rule: e.values["user_id"] for e in entries} == BROKEN
    assert location.uri in store.quarantine.describe()
    batches = location.files("qproj")  # one Parquet file (object) per quarantined batch
    assert batches and all(name.endswith(".parquet") for name in batches)
    assert not Path(store.config.resolve("data/quarantine")).exists()  # nothing under the default
    assert store.get_quarantined(entries[0].id).values == entries[0].values
    store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    assert len(store.list_quarantined()) == len(BROKEN)  # a re-run keeps each row once


def test_release_forget_and_purge(store: FeatureStore, location: Location) -> None:
    ids = {e.rule: e.id for e in store.list_quarantined("user_stats")}
    relaxed = [r for r in views()[1].rules if r.name != "one_of_tier"]
    stats = views()[1]
    stats.rules = [*relaxed, one_of("tier", ["free", "pro", "gold"])]
    store.apply([stats])
    result = store.release_quarantined([ids["one_of_tier"], ids["not_null_total"]])
    assert result.released == [ids["one_of_tier"]] and result.still_failing == [ids["not_null_total"]]
    assert store.get_online_features(["user_stats:tier"], [{"user_id": 12}]).to_dict()["tier"] == ["gold"]

    dry = store.forget({"user_id": 13}, dry_run=True)
    assert dry.quarantine["user_stats"] == 1 and len(store.list_quarantined()) == 4
    assert store.forget({"user_id": 13}).quarantine["user_stats"] == 1
    held = {e.values["user_id"] for e in store.list_quarantined()}
    assert held == {10, 11, 14}
    assert '"user_id": 13' not in json.dumps([e.to_dict() for e in store.quarantine.list()])

    assert store.purge_quarantined(timedelta(days=1)) == 0
    assert store.purge_quarantined(timedelta(0)) == 3 and store.list_quarantined() == []
    assert location.files("qproj") == []  # a file left with no entries is deleted


def test_cli_lists_and_forgets_at_the_location(store: FeatureStore) -> None:
    from featurevault._cli.main import app

    repo = str(store.config.repo_path)
    listed = CliRunner().invoke(app, ["-c", repo, "quarantine", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert sorted(e["values"]["user_id"] for e in json.loads(listed.output)) == sorted(BROKEN.values())
    forgot = CliRunner().invoke(app, ["-c", repo, "forget", "-e", "user_id=11", "--format", "json"])
    assert forgot.exit_code == 0, forgot.output
    assert json.loads(forgot.output)["quarantine_deleted"]["user_stats"] == 1
    assert 11 not in {e.values["user_id"] for e in store.list_quarantined()}


def test_missing_bucket_and_bad_credentials_are_named(
    tmp_path: Path, moto_s3: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    missing = f"quarantine:\n  path: s3://no-such-bucket/q\n  s3_endpoint_override: {moto_s3.endpoint}\n"
    store = make_store(tmp_path / "missing", extra=missing)
    with pytest.raises(BackendError, match=rf"s3://no-such-bucket/q' at {moto_s3.endpoint}.*bucket .* does not exist"):
        store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    store.close()

    with MotoServer(tmp_path / "auth.log", env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as locked:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONG")
        extra = f"quarantine:\n  path: s3://locked/q\n  s3_endpoint_override: {locked.endpoint}\n"
        store = make_store(tmp_path / "locked", extra=extra)
        with pytest.raises(BackendError, match=r"s3://locked/q' at .*access denied: check the credentials"):
            store.list_quarantined()
        store.close()
