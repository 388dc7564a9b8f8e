"""Data quality through the FeatureStore: plan/apply checks, release and purge, PII, null policy, schema drift."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault import FeatureView, Field
from featurevault.errors import DataQualityError, DefinitionError, SchemaMismatchError
from featurevault._model import RepoContents
from featurevault._quality import between, expression, matches, not_null, one_of
from featurevault.types import String
from tests.unit.quality.rules_repo import SCHEMA, T0, make_store, mixed_rows, rows, user, views


def _stats_with(rules: list, schema: list | None = None) -> FeatureView:
    _, stats, _ = views()
    return FeatureView(
        name="user_stats", entities=[user], schema=schema or SCHEMA, source=stats.source, ttl=timedelta(0), rules=rules
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (not_null("totl"), "rule 'not_null_totl': unknown column 'totl'"),
        (between("tier", 0, 1), "between needs a numeric or time column; 'tier'"),
        (between("total", low=T0), "does not fit column 'total'"),
        (one_of("total", ["a"]), "value 'a' does not fit column 'total'"),
        (matches("total", "x"), "matches needs a string column"),
        (matches("email", r"(a)\1"), "bad regular expression"),
        (expression("max_amount >>> 1", name="broken"), "rule 'broken': expression"),
        (expression("total + 1", name="not_bool"), "not BOOLEAN"),
        (expression("(SELECT count(*) FROM read_csv('/etc/passwd')) > total", name="sneaky"), "may not use SELECT"),
    ],
)
def test_apply_refuses_a_rule_that_cannot_work(tmp_path: Path, rule: object, message: str) -> None:
    store = make_store(tmp_path)
    with pytest.raises(DefinitionError, match="feature view 'user_stats'") as caught:
        store.apply([_stats_with([rule])])
    assert message in str(caught.value)


def test_plan_lists_rule_changes(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    desired = RepoContents()
    entity, stats, live = views()
    changed = _stats_with([not_null("total"), between("avg_amount", 0, 500)])
    for obj in (entity, changed, live):
        desired.by_kind(obj.kind)[obj.name] = obj
    text = "\n".join(str(c) for c in store.plan(desired).changes)
    assert "~ rule between_avg_amount: between(avg_amount, low=0, high=500)" in text
    assert "- rule one_of_tier" in text and "- rule max_ge_avg" in text


def test_release_writes_rows_that_now_pass(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    entries = {e.rule: e.id for e in store.list_quarantined("user_stats")}
    result = store.release_quarantined([entries["one_of_tier"], entries["not_null_total"]])
    assert result.released == [] and sorted(result.still_failing) == sorted(
        [entries["one_of_tier"], entries["not_null_total"]]
    )
    relaxed = [r for r in views()[1].rules if r.name != "one_of_tier"]
    store.apply([_stats_with([*relaxed, one_of("tier", ["free", "pro", "gold"])])])
    result = store.release_quarantined([entries["one_of_tier"], entries["not_null_total"]])
    assert result.released == [entries["one_of_tier"]] and result.still_failing == [entries["not_null_total"]]
    out = store.get_online_features(["user_stats:tier"], [{"user_id": 12}]).to_dict()
    assert out["tier"] == ["gold"]
    assert {e.rule for e in store.list_quarantined()} == {
        "not_null_total",
        "between_avg_amount",
        "matches_email",
        "max_ge_avg",
    }
    assert store.purge_quarantined(timedelta(days=1)) == 0
    assert store.purge_quarantined(timedelta(0)) == 4 and store.list_quarantined() == []


def test_rematerializing_quarantines_each_row_once(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    for _ in range(2):
        store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    assert len(store.list_quarantined()) == 5


def test_block_error_names_rule_count_and_hides_pii(tmp_path: Path) -> None:
    store = make_store(tmp_path, on_fail={"matches_email": "block"})
    with pytest.raises(DataQualityError) as caught:
        store.push("live_push", rows([(1, {}), (2, {"email": "secret-address"})]).to_pandas())
    text = str(caught.value)
    assert "rule 'matches_email' (matches, on_fail=block) failed on 1 of 2 rows" in text
    assert "secret-address" not in text and "<pii>" in text
    assert caught.value.report[0]["rule"] == "matches_email"


def test_quarantined_pii_is_sealed_when_pii_is_encrypted_at_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import os

    make_store(tmp_path).close()
    yaml = tmp_path / "feature_store.yaml"
    yaml.write_text(yaml.read_text() + "pii:\n    encrypt_at_rest: true\n")
    monkeypatch.setenv("FEATUREVAULT_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    from featurevault._store import FeatureStore

    with FeatureStore(repo_path=tmp_path) as store:
        store.push("live_push", rows([(5, {"email": "hidden@example.com", "tier": "gold"})]).to_pandas())
        raw = b"".join(p.read_bytes() for p in (tmp_path / "data" / "quarantine").rglob("*.parquet"))
        assert b"hidden@example.com" not in raw
        (entry,) = store.list_quarantined("user_live")
        assert entry.rule == "one_of_tier"
        store.apply(
            [
                FeatureView(
                    name="user_live",
                    entities=[user],
                    schema=SCHEMA,
                    source=views()[2].source,
                    ttl=timedelta(0),
                    rules=[not_null("total")],
                )
            ]
        )
        assert store.release_quarantined([entry.id]).released == [entry.id]
        out = store.get_online_features(["user_live:email"], [{"user_id": 5}]).to_dict()
        assert out["email"] == ["hidden@example.com"]


def test_null_policy_reject_quarantines_nulls(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    schema = [f if f.name != "tier" else Field(name="tier", dtype=String, null_policy="reject") for f in SCHEMA]
    store.apply([_stats_with([], schema)])
    pq.write_table(rows([(1, {}), (2, {"tier": None})]), tmp_path / "data/stats.parquet")
    result = store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    assert result.views[0].rows == 1 and result.views[0].quarantined == 1
    assert [e.rule for e in store.list_quarantined()] == ["null_policy_tier"]


def test_source_type_changed_since_apply_blocks_naming_column(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    changed = rows([(1, {})]).set_column(2, "total", pa.array(["three"], pa.string()))
    pq.write_table(changed, tmp_path / "data/stats.parquet")
    with pytest.raises(SchemaMismatchError) as caught:
        store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    assert "'total'" in str(caught.value) and "user_stats" in str(caught.value)
    assert "Int64" in str(caught.value) or "int64" in str(caught.value)


def test_blocked_push_is_422_over_http_and_failures_are_counted(tmp_path: Path) -> None:
    from featurevault._server import ServerSettings, create_app
    from tests.unit.server.testclient import TestClient

    store = make_store(tmp_path, on_fail={"one_of_tier": "block"})
    app = create_app(store, ServerSettings(), access_log_stream=io.StringIO())
    frame = mixed_rows(T0).to_pandas()
    frame["event_timestamp"] = frame["event_timestamp"].map(lambda t: t.isoformat())
    frame = frame.astype(object).where(frame.notna(), None)  # JSON has null, not NaN
    with TestClient(app) as client:
        blocked = client.post("/push", json={"push_source_name": "live_push", "df": frame.to_dict("list")})
        assert blocked.status_code == 422
        assert blocked.json()["error"] == "DataQualityError" or "DataQualityError" in blocked.text
        assert "one_of_tier" in blocked.text
        good = frame[frame["tier"] != "gold"]
        accepted = client.post("/push", json={"push_source_name": "live_push", "df": good.to_dict("list")})
        assert accepted.status_code == 200 and accepted.json()["rows"] == 3
        listed = client.get("/quality/quarantine", params={"view": "user_live"})
        assert listed.status_code == 200 and len(listed.json()["entries"]) == 4
        shown = client.get(f"/quality/quarantine/{listed.json()['entries'][0]['id']}")
        assert shown.status_code == 200 and shown.json()["view"] == "user_live"
        assert client.get("/quality/profiles/user_live").status_code == 404
        store.profile("user_live")
        assert client.get("/quality/profiles/user_live").json()["view"] == "user_live"
        text = client.get("/metrics").text
    assert (
        'featurevault_quality_rule_failures_total{feature_view="user_live",on_fail="block",rule="one_of_tier"}' in text
    )
    assert 'rule="matches_email"' in text


def test_null_policy_fill_serves_the_default_marked_filled(tmp_path: Path) -> None:
    from featurevault._ops.online_response import FieldStatus
    from featurevault._server.feast_shape import feast_body

    store = make_store(tmp_path)
    schema = [
        f if f.name != "avg_amount" else Field(name="avg_amount", dtype=SCHEMA[2].dtype, null_policy=("fill", 0.0))
        for f in SCHEMA
    ]
    store.apply([_stats_with([not_null("total")], schema)])
    pq.write_table(rows([(1, {}), (2, {"avg_amount": None})]), tmp_path / "data/stats.parquet")
    store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    out = store.get_online_features(
        ["user_stats:avg_amount", "user_stats:tier"], [{"user_id": 1}, {"user_id": 2}, {"user_id": 99}]
    )
    assert out.to_dict()["avg_amount"] == [10.0, 0.0, None]  # a missing entity is not filled
    assert out.statuses["avg_amount"] == [FieldStatus.PRESENT, FieldStatus.FILLED, FieldStatus.NOT_FOUND]
    assert feast_body(out)["results"][1]["statuses"] == ["PRESENT", "FILLED", "NOT_FOUND"]
    with pytest.raises(DefinitionError, match="null policy"):
        bad = [f if f.name != "tier" else Field(name="tier", dtype=String, null_policy=("fill", 3)) for f in SCHEMA]
        store.apply([_stats_with([], bad)])
