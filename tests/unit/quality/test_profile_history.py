"""Every profile is kept with its range: listed by the SDK, the CLI (``profile VIEW --history``) and HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from featurevault._cli.main import app
from featurevault._quality.profile import NAMESPACE, Profile
from featurevault._store import FeatureStore
from tests.unit.quality.rules_repo import T0, make_store, rows
from tests.unit.server.testclient import TestClient

DAY = timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> FeatureStore:
    stats = rows([(1, {"total": 1}), (2, {"total": 2})], T0).combine_chunks()
    later = rows([(3, {"total": 30})], T0 + 2 * DAY)
    import pyarrow as pa

    return make_store(tmp_path, stats=pa.concat_tables([stats, later]))


def _cli(store: FeatureStore, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["-c", str(store.repo_path), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_every_profile_is_kept_with_its_range(store: FeatureStore) -> None:
    first = store.profile("user_stats", T0 - DAY, T0 + DAY)
    second = store.profile("user_stats", T0 + DAY, T0 + 3 * DAY)
    whole = store.profile("user_stats")
    assert len({first.id, second.id, whole.id}) == 3 and all(p.id for p in (first, second, whole))
    history = store.list_profiles("user_stats")
    assert [p.id for p in history] == [first.id, second.id, whole.id]
    assert [(p.rows, p.features["total"].max) for p in history] == [(2, 2), (1, 30), (3, 30)]
    assert store.get_profile("user_stats").id == whole.id  # the latest
    assert store.get_profile("user_stats", first.id).to_dict() == first.to_dict()
    assert store.get_profile("user_stats", "nope") is None


def test_history_filtered_by_range(store: FeatureStore) -> None:
    first = store.profile("user_stats", T0 - DAY, T0 + DAY)
    second = store.profile("user_stats", T0 + DAY, T0 + 3 * DAY)
    store.profile("user_stats")  # open range: within no bounded range
    assert [p.id for p in store.list_profiles("user_stats", start=T0)] == [second.id]
    assert [p.id for p in store.list_profiles("user_stats", end=T0 + 2 * DAY)] == [first.id]
    assert [p.id for p in store.list_profiles("user_stats", T0 - DAY, T0 + 3 * DAY)] == [first.id, second.id]
    naive = (T0 - DAY).replace(tzinfo=None)
    assert [p.id for p in store.list_profiles("user_stats", start=naive, end=T0 + DAY)] == [first.id]


def test_a_profile_stored_before_histories_is_listed(store: FeatureStore) -> None:
    old = store.profile("user_stats", T0 - DAY, T0 + DAY).to_dict()
    old.pop("id")
    registry = store.registry.registry
    registry.set_state(store.project, "profiles.history:user_stats", store.list_profiles("user_stats")[0].id, None)
    registry.set_state(store.project, NAMESPACE, "user_stats", old)
    (listed,) = store.list_profiles("user_stats")
    assert listed.id == "" and listed.rows == 2 and isinstance(listed, Profile)


def test_cli_history_lists_and_shows(store: FeatureStore) -> None:
    first = store.profile("user_stats", T0 - DAY, T0 + DAY)
    code, out = _cli(store, "profile", "user_stats", "--start", (T0 + DAY).isoformat())
    assert code == 0 and "Profile " in out
    code, out = _cli(store, "profile", "user_stats", "--history", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert [p["id"] for p in listed][0] == first.id and len(listed) == 2
    assert listed[0] == {
        "id": first.id,
        "view": "user_stats",
        "start": (T0 - DAY).isoformat(),
        "end": (T0 + DAY).isoformat(),
        "at": first.at.isoformat(),
        "rows": 2,
    }
    code, out = _cli(store, "profile", "user_stats", "--history")
    assert code == 0 and first.id in out and "Stored profiles of user_stats (2)" in out
    code, out = _cli(store, "profile", "user_stats", "--id", first.id, "--format", "json")
    assert code == 0 and json.loads(out) == first.to_dict()
    assert len(store.list_profiles("user_stats")) == 2  # --history and --id took no new profile


def test_cli_bad_use(store: FeatureStore) -> None:
    code, out = _cli(store, "profile", "user_stats", "--history", "--id", "x")
    assert code == 2 and "--history and --id cannot be used together" in out
    code, out = _cli(store, "profile", "user_stats", "--id", "missing")
    assert code == 1 and "no stored profile with id 'missing'" in out


def test_http_history_and_one_profile(store: FeatureStore) -> None:
    from featurevault._server import create_app

    first = store.profile("user_stats", T0 - DAY, T0 + DAY)
    second = store.profile("user_stats")
    with TestClient(create_app(store)) as client:
        listed = client.get("/quality/profiles/user_stats/history").json()["profiles"]
        assert [p["id"] for p in listed] == [first.id, second.id]
        within = client.get("/quality/profiles/user_stats/history", params={"start": T0.isoformat()}).json()
        assert within["profiles"] == []
        assert client.get("/quality/profiles/user_stats", params={"id": first.id}).json()["id"] == first.id
        assert client.get("/quality/profiles/user_stats").json()["id"] == second.id
        missing = client.get("/quality/profiles/user_stats", params={"id": "nope"})
        assert missing.status_code == 404 and "no stored profile with id 'nope'" in missing.text
