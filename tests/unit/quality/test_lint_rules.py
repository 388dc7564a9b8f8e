"""Entity, feature-view and feature-service rules, each with a good and a bad example."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from featurevault._model import Entity, Field, OnDemandFeatureView, RequestSource
from featurevault._quality.lint import Finding, run_lint
from featurevault.types import Float64, Int64


def _rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


# -- entities -------------------------------------------------------------------------------------


def test_seed_good_entities_pass(build: SimpleNamespace) -> None:
    user = Entity(name="user", join_keys=["user_id"], description="Registered user identified by UUID")
    merchant = Entity(name="merchant", join_keys=["merchant_id"], description="Business identified by merchant_id")
    pair = Entity(name="user_merchant", join_keys=["user_id", "merchant_id"], description="User-merchant pair")
    assert run_lint(build.repo(user, merchant, pair)).findings == []


def test_seed_bad_entity_is_flagged_for_name_key_and_description(build: SimpleNamespace) -> None:
    bad = Entity(name="entity", join_keys=["id"])
    findings = run_lint(build.repo(bad)).findings
    assert _rules(findings) == ["FV201", "FV202", "FV203"]
    assert all(f.object == "entity" and f.kind == "entity" for f in findings)
    assert "'id'" in next(f.message for f in findings if f.rule == "FV202")


def test_entity_camel_case(build: SimpleNamespace) -> None:
    bad = Entity(name="userAccount", join_keys=["userId"], description="An account")
    assert _rules(run_lint(build.repo(bad)).findings) == ["FV204", "FV204"]


# -- feature views ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["user_transactions_daily", "user_clicks_hourly", "user_reviews_weekly"])
def test_seed_view_names_pass(build: SimpleNamespace, name: str) -> None:
    contents = build.repo(build.view(name, [build.entity("user")], ["user_click_count_7d"]))
    assert run_lint(contents).findings == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("driver_hourly_stats", "does not end with a frequency"),
        ("transactions_daily", "does not start with its entity"),
        ("user_daily", "names no source"),
        ("UserTransactionsDaily", "not snake_case"),
    ],
)
def test_bad_view_names(build: SimpleNamespace, name: str, problem: str) -> None:
    entity = build.entity("driver" if name.startswith("driver") else "user")
    contents = build.repo(build.view(name, [entity], [f"{entity.name}_trip_count_7d"]))
    findings = [f for f in run_lint(contents).findings if f.rule == "FV301"]
    assert len(findings) == 1 and problem in findings[0].message and findings[0].object == name


def test_view_without_ttl_description_owner(build: SimpleNamespace) -> None:
    contents = build.repo(
        build.view(
            "user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"], ttl=None, description="", owner=""
        )
    )
    assert _rules(run_lint(contents).findings) == ["FV302", "FV303", "FV304"]


def test_zero_ttl_means_never_expires_and_is_flagged(build: SimpleNamespace) -> None:
    contents = build.repo(
        build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"], ttl=timedelta(0))
    )
    assert _rules(run_lint(contents).findings) == ["FV302"]


def test_view_tags_from_the_vocabulary(build: SimpleNamespace) -> None:
    tags = {"team": "anyone", "env": "production", "pii": "yes", "cost_center": "42", "lint.ignore": "FV999x"}
    contents = build.repo(
        build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"], tags=tags)
    )
    findings = run_lint(contents).findings
    assert _rules(findings) == ["FV305", "FV306", "FV306"]
    messages = " ".join(f.message for f in findings)
    assert "cost_center" in messages and "env='production'" in messages and "pii='yes'" in messages


# -- feature services -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fraud_detection_v1", "fraud_detection_v2", "recommendations_v1"])
def test_seed_service_names_pass(build: SimpleNamespace, name: str) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    service = build.service(name=name, features=[fv])
    assert run_lint(build.repo(fv, service)).findings == []


@pytest.mark.parametrize("name", ["fraud_features", "fraudDetectionV1", "v1", "fraud_detection_v1_final"])
def test_bad_service_names(build: SimpleNamespace, name: str) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    service = build.service(name=name, features=[fv])
    assert _rules(run_lint(build.repo(fv, service)).findings) == ["FV401"]


def test_service_naming_a_missing_view_is_an_error(build: SimpleNamespace) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    service = build.service(name="fraud_detection_v1", features=[fv])
    contents = build.repo(service)  # the view is not part of the repo
    findings = run_lint(contents).findings
    assert [(f.rule, f.severity) for f in findings] == [("FV402", "error")]
    assert "user_transactions_daily" in findings[0].message


def test_service_naming_a_missing_feature_is_an_error(build: SimpleNamespace) -> None:
    old = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d", "user_txn_sum_7d"])
    service = build.service(name="fraud_detection_v1", features=[old[["user_txn_sum_7d"]]])
    new = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    findings = run_lint(build.repo(new, service)).findings
    assert [(f.rule, f.severity) for f in findings] == [("FV403", "error")]
    assert "user_transactions_daily:user_txn_sum_7d" in findings[0].message


def test_on_demand_view_reading_a_missing_view_is_an_error(build: SimpleNamespace) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    request = RequestSource(name="txn_request", schema=[Field(name="amount", dtype=Float64)])
    odfv = OnDemandFeatureView(
        name="user_txn_context_realtime",
        sources=[fv, request],
        schema=[Field(name="user_amount_ratio", dtype=Int64)],
        udf=lambda df: df,
        description="ratio",
        owner="fraud",
        tags={"team": "fraud"},
    )
    assert run_lint(build.repo(fv, odfv)).findings == []
    findings = run_lint(build.repo(odfv)).findings
    assert [(f.rule, f.severity) for f in findings] == [("FV501", "error")]


def test_odfv_features_use_their_source_views_entities(build: SimpleNamespace) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    odfv = OnDemandFeatureView(
        name="user_txn_context_realtime",
        sources=[fv],
        schema=[Field(name="amount_ratio", dtype=Float64)],
        udf=lambda df: df,
        description="ratio",
        owner="fraud",
    )
    findings = run_lint(build.repo(fv, odfv)).findings
    assert [(f.rule, f.object) for f in findings] == [("FV104", "user_txn_context_realtime:amount_ratio")]


def test_findings_name_the_definition_file_and_line(build: SimpleNamespace) -> None:
    line = _line_of_next_statement()
    bad = Entity(name="entity", join_keys=["user_id"], description="x")
    finding = run_lint(build.repo(bad)).findings[0]
    assert finding.file == __file__ and finding.line == line + 1
    assert finding.fix and "entity" in finding.message


def _line_of_next_statement() -> int:
    import inspect

    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno
