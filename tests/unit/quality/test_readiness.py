"""The readiness report: every checklist item ends pass, fail or not checked, each with evidence."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from featurevault._config import RepoConfig
from featurevault._model import Field, OnDemandFeatureView, RepoContents
from featurevault._quality.readiness import (
    CHECKLIST,
    FAIL,
    NOT_CHECKED,
    PASS,
    ReadinessFacts,
    ReadinessReport,
    evaluate_readiness,
)
from featurevault.types import Float32, Float64

ALWAYS_UNCHECKED = {
    "Historical data backfilled",  # until a validate run is recorded
    "Dashboards created",
    "Disaster recovery tested",
    "End-to-end tests with models",
    "Rollback procedure documented",
}


def _good_repo(build: SimpleNamespace) -> RepoContents:
    user = build.entity("user")
    fv = build.view("user_transactions_daily", [user], [])
    fv.features.append(Field(name="user_txn_count_7d", dtype=Float32, description="Transactions in 7 days"))
    fv.features.append(Field(name="user_email_hash", dtype=Float32, description="Email", tags={"pii": "true"}))
    odfv = OnDemandFeatureView(
        name="user_txn_context",
        sources=[fv],
        schema=[Field(name="user_txn_ratio", dtype=Float64, description="r")],
        udf=lambda df: df,
        description="Ratio of counts",
        owner="fraud",
        tags={"pii": "false"},
    )
    service = build.service(name="fraud_detection_v1", features=[fv], description="fraud model")
    return build.repo(fv, odfv, service)


def _items(report: ReadinessReport) -> dict[str, tuple[str, str]]:
    return {i.title: (i.status, i.evidence) for i in report.items}


def test_every_seed_item_is_reported_once_with_evidence(build: SimpleNamespace) -> None:
    report = evaluate_readiness(_good_repo(build), RepoConfig(project="demo"))
    assert [i.title for i in report.items] == [title for _, title, _ in CHECKLIST]
    assert len(report.items) == 31
    assert all(i.status in (PASS, FAIL, NOT_CHECKED) and i.evidence for i in report.items)
    sections = [s for s, _, _ in CHECKLIST]
    assert sorted(set(sections)) == sorted(
        ["DESIGN", "DATA QUALITY", "MONITORING", "SECURITY", "OPERATIONS", "TESTING", "DEPLOYMENT"]
    )


def test_unverifiable_items_are_never_passing(build: SimpleNamespace) -> None:
    facts = ReadinessFacts(
        auth_enabled=True, audit_sink="file", audit_verified=True, pii_protected=True, encryption_at_rest=True
    )
    items = _items(evaluate_readiness(_good_repo(build), RepoConfig(project="demo"), facts))
    for title in ALWAYS_UNCHECKED:
        assert items[title][0] == NOT_CHECKED, title
    # features this build lacks are not checked either, and say so
    later_features = (
        "Feature flags for new features",
        "Backup strategy implemented",
    )
    for title in later_features:
        assert items[title][0] == NOT_CHECKED and "not" in items[title][1], title


def test_design_items_pass_on_a_good_repo(build: SimpleNamespace) -> None:
    items = _items(evaluate_readiness(_good_repo(build), RepoConfig(project="demo")))
    assert items["All features have clear documentation"] == (PASS, "descriptions on 2/2 views and 3/3 features")
    assert items["Naming conventions followed"] == (PASS, "lint: no naming findings")
    assert items["TTLs set appropriately"] == (PASS, "TTL set on 1/1 feature views")
    assert items["Feature services defined for each model"] == (
        PASS,
        "feature services defined for 1 model(s) (fraud_detection)",
    )
    assert items["Entities properly defined"][0] == PASS
    assert items["Schema validation in place"][0] == PASS


def test_design_items_fail_on_a_feast_demo_repo(build: SimpleNamespace) -> None:
    driver = build.entity("driver", description="")
    fv = build.view("driver_hourly_stats", [driver], ["conv_rate", "acc_rate"], ttl=None, description="")
    items = _items(evaluate_readiness(build.repo(fv), RepoConfig(project="demo")))
    assert items["All features have clear documentation"] == (FAIL, "descriptions on 0/1 views and 0/2 features")
    status, evidence = items["Naming conventions followed"]
    assert status == FAIL and "FV104 x2" in evidence and "FV301 x1" in evidence
    assert items["Entities properly defined"][0] == FAIL
    assert items["TTLs set appropriately"] == (FAIL, "TTL set on 0/1 feature views")
    assert items["Feature services defined for each model"] == (FAIL, "no feature services defined")


def test_service_reading_a_missing_feature_fails_its_item(build: SimpleNamespace) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d", "user_txn_sum_7d"])
    service = build.service(name="fraud_detection_v2", features=[fv])
    smaller = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    status, evidence = _items(evaluate_readiness(build.repo(smaller, service), RepoConfig(project="d")))[
        "Feature services defined for each model"
    ]
    assert status == FAIL and "fraud_detection_v2" in evidence


def test_security_items(build: SimpleNamespace) -> None:
    config = RepoConfig(project="demo")
    items = _items(evaluate_readiness(_good_repo(build), config))
    assert items["Access control implemented"] == (FAIL, "access control: off (auth.type: no_auth)")
    assert items["PII features identified and protected"][0] == FAIL
    assert "served in clear" in items["PII features identified and protected"][1]
    assert items["Audit logging enabled"] == (PASS, "audit sink: file (data/audit.jsonl)")  # the default section
    # the default pii section: PII values are not encrypted at rest
    assert items["Encryption at rest and in transit"][0] == FAIL

    facts = ReadinessFacts(auth_enabled=True, audit_sink="file", audit_verified=True, encryption_at_rest=True)
    items = _items(evaluate_readiness(_good_repo(build), config, facts))
    assert items["Access control implemented"][0] == PASS
    assert items["PII features identified and protected"] == (
        PASS,
        "1 PII feature(s) identified; masked for principals without READ_PII",
    )
    assert items["Audit logging enabled"] == (PASS, "audit sink: file (data/audit.jsonl), verified")
    assert items["Encryption at rest and in transit"][0] == PASS

    broken = ReadinessFacts(auth_enabled=True, audit_sink="file", audit_verified=False, pii_protected=True)
    items = _items(evaluate_readiness(_good_repo(build), config, broken))
    assert items["Audit logging enabled"] == (FAIL, "audit sink: file, verification failed")
    assert items["PII features identified and protected"][0] == PASS


def test_pii_must_be_declared_on_every_view(build: SimpleNamespace) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"], tags={"team": "x"})
    status, evidence = _items(evaluate_readiness(build.repo(fv), RepoConfig(project="d")))[
        "PII features identified and protected"
    ]
    assert status == FAIL and "pii tag missing on 1/1 views" in evidence


def test_networked_backends_without_tls_fail_encryption_and_sqlite_fails_capacity(build: SimpleNamespace) -> None:
    plain = RepoConfig.model_construct(
        **{**RepoConfig(project="d").__dict__, "online_store": _Section(type="redis", connection_string="h:6379")}
    )
    items = _items(evaluate_readiness(_good_repo(build), plain))
    assert items["Encryption at rest and in transit"] == (FAIL, "in transit: online_store: redis without TLS")
    assert items["Capacity planning done"][0] == NOT_CHECKED
    tls = RepoConfig.model_construct(
        **{**RepoConfig(project="d").__dict__, "online_store": _Section(type="redis", connection_string="rediss://h")}
    )
    # TLS in transit; at rest the default pii section says PII values are not encrypted
    assert _items(evaluate_readiness(_good_repo(build), tls))["Encryption at rest and in transit"][0] == FAIL
    embedded = _items(evaluate_readiness(_good_repo(build), RepoConfig(project="d")))
    assert embedded["Capacity planning done"] == (FAIL, "online store: sqlite (embedded, not for production)")


class _Section(BaseModel):
    model_config = {"extra": "allow"}
    type: str
    enabled: bool = True


class _FutureConfig(RepoConfig):
    """A build where monitoring, alerts, audit and PII settings exist (they are added by other features)."""

    monitoring: _Section | None = None
    alerts: _Section | None = None
    audit: _Section | None = None
    pii: _Section | None = None


def test_config_sections_of_later_features_are_read_defensively(build: SimpleNamespace) -> None:
    config = _FutureConfig(
        project="d",
        monitoring=_Section(type="prometheus"),
        alerts=_Section(type="x", enabled=False),
        audit=_Section(type="file", sink="file", path="data/audit.jsonl"),
    )
    items = _items(evaluate_readiness(_good_repo(build), config))
    # monitoring items come from the repo's alerts, whatever other sections say
    assert items["Drift detection enabled"] == (FAIL, "no alert on psi(...), js(...) or ks(...)")
    assert items["Alerting rules defined"] == (FAIL, "no Alert defined in the repo")
    assert items["Audit logging enabled"] == (PASS, "audit sink: file (data/audit.jsonl)")
    off = _FutureConfig(project="d", audit=_Section(type="file", enabled=False))
    assert _items(evaluate_readiness(_good_repo(build), off))["Audit logging enabled"] == (FAIL, "audit sink: none")


def test_security_sections_of_a_later_build(build: SimpleNamespace) -> None:
    pii = _Section(type="pii", encrypt_at_rest=True)
    items = _items(evaluate_readiness(_good_repo(build), _FutureConfig(project="d", pii=pii)))
    assert items["PII features identified and protected"][0] == FAIL  # auth is off: served in clear
    assert items["Encryption at rest and in transit"] == (
        PASS,
        "in transit: TLS or embedded backends only; at rest: PII values encrypted (pii.encrypt_at_rest: true)",
    )
    facts = ReadinessFacts(auth_enabled=True)
    plain = _FutureConfig(project="d", pii=_Section(type="pii", encrypt_at_rest=False))
    items = _items(evaluate_readiness(_good_repo(build), plain, facts))
    assert items["PII features identified and protected"] == (
        PASS,
        "1 PII feature(s) identified; masked for principals without READ_PII",
    )
    assert items["Encryption at rest and in transit"][0] == FAIL


def test_repo_files_tests_runbooks_and_ci(build: SimpleNamespace, tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_retrieval.py").write_text("store.get_online_features(...)\n")
    (tmp_path / "tests" / "test_logic.py").write_text("user_txn_context.transform(df)\n")
    (tmp_path / "RUNBOOK.md").write_text("# Stale features\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("run: featurevault lint --format github\n")
    config = RepoConfig(project="d", repo_path=tmp_path)
    items = _items(evaluate_readiness(_good_repo(build), config))
    assert items["Unit tests for feature logic"] == (
        PASS,
        "1 test file(s) exercise on-demand feature logic (tests/test_logic.py)",
    )
    assert items["Integration tests for retrieval"][0] == PASS
    assert items["Performance tests for latency"][0] == NOT_CHECKED
    assert items["Runbooks documented"] == (PASS, "runbooks: RUNBOOK.md")
    assert items["CI/CD pipeline configured"] == (PASS, "CI: ci.yml; runs featurevault lint")
    assert items["End-to-end tests with models"][0] == NOT_CHECKED  # no test trains and scores a model


def test_a_test_that_trains_on_historical_and_scores_online_is_an_end_to_end_model_test(
    build: SimpleNamespace, tmp_path: Path
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_half.py").write_text("model.fit(store.get_historical_features(...).to_df())\n")
    config = RepoConfig(project="d", repo_path=tmp_path)
    assert _items(evaluate_readiness(_good_repo(build), config))["End-to-end tests with models"][0] == NOT_CHECKED
    (tmp_path / "tests" / "test_model.py").write_text(
        "model = LogisticRegression().fit(store.get_historical_features(df, refs).to_df(), y)\n"
        "model.predict(store.get_online_features(refs, rows).to_df())\n"
    )
    status, evidence = _items(evaluate_readiness(_good_repo(build), config))["End-to-end tests with models"]
    assert status == PASS and "tests/test_model.py" in evidence


def test_empty_repo_dir_leaves_file_items_unchecked(build: SimpleNamespace, tmp_path: Path) -> None:
    items = _items(evaluate_readiness(_good_repo(build), RepoConfig(project="d", repo_path=tmp_path)))
    for title in ("Integration tests for retrieval", "Runbooks documented", "CI/CD pipeline configured"):
        assert items[title][0] == NOT_CHECKED


def test_score_counts_unchecked_against_and_renders(build: SimpleNamespace) -> None:
    report = evaluate_readiness(_good_repo(build), RepoConfig(project="demo"))
    counts = report.counts()
    assert sum(counts.values()) == 31 and report.score == pytest.approx(100 * counts[PASS] / 31)
    assert 0 < report.score < 50
    data = report.to_dict()
    assert data["counts"] == counts and len(data["items"]) == 31
    markdown = report.to_markdown()
    assert markdown.startswith("# Production readiness") and "## SECURITY" in markdown
    assert "- [ ] **fail** Access control implemented: access control: off (auth.type: no_auth)" in markdown


def test_naming_item_says_which_rules_the_lint_config_switched_off(build: SimpleNamespace) -> None:
    fv = build.view("driver_hourly_stats", [build.entity("driver")], ["conv_rate"])
    config = RepoConfig(project="d", lint={"ignore": ["FV104", "FV301"]})
    status, evidence = _items(evaluate_readiness(build.repo(fv), config))["Naming conventions followed"]
    assert (status, evidence) == (PASS, "lint: no naming findings (FV104, FV301 switched off by the lint config)")


def test_every_gap_says_what_to_do(tmp_path: Path) -> None:
    from featurevault._cli.scaffold import scaffold
    from featurevault._config import load_repo_config
    from featurevault._ops.repo import load_repo
    from featurevault._quality.readiness_steps import NEXT_STEPS

    scaffold(tmp_path / "demo")
    config = load_repo_config(tmp_path / "demo")
    report = evaluate_readiness(load_repo(tmp_path / "demo"), config)
    assert {item.title for item in report.items} <= set(NEXT_STEPS)
    for item in report.items:
        assert bool(item.next_step) == (item.status != "pass"), item
    assert report.to_dict()["items"][0].get("next_step") is None or report.items[0].status != "pass"
    assert "Next:" in report.to_markdown()
