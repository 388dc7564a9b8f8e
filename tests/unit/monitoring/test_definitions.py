"""Alert definitions: conditions parsed, checked against the registry at apply, linted for a runbook."""

from __future__ import annotations

from pathlib import Path

import pytest

from featurevault import Alert
from featurevault.errors import DefinitionError, LintError
from featurevault._model.alert_condition import parse_condition
from featurevault._monitoring.rules_export import alert_rules
from featurevault._ops.repo import load_repo
from featurevault._quality.lint import run_lint
from tests.unit.monitoring.repo import NOW, definitions, frame, make_store, write


@pytest.mark.parametrize(
    ("text", "metric", "arg", "threshold", "relative"),
    [
        ("freshness > 2h", "freshness", "", 7200.0, False),
        ("materialization_age >= 90s", "materialization_age", "", 90.0, False),
        ("freshness > 2x", "freshness", "", 2.0, True),
        ("psi(user_avg_amount_30d) > 0.2", "psi", "user_avg_amount_30d", 0.2, False),
        ("rule_failures(amount_positive) > 0.01", "rule_failures", "amount_positive", 0.01, False),
        ("serving_p99_ms > 50", "serving_p99_ms", "", 50.0, False),
    ],
)
def test_conditions_parse(text: str, metric: str, arg: str, threshold: float, relative: bool) -> None:
    condition = parse_condition(text)
    assert (condition.metric, condition.arg, condition.threshold, condition.relative) == (
        metric,
        arg,
        threshold,
        relative,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("latency > 3", "unknown metric 'latency'"),
        ("psi > 0.2", "psi needs a feature argument"),
        ("freshness(amount) > 1h", "freshness takes no argument"),
        ("js(plan) > 1h", "takes no unit"),
        ("freshness is old", "is not 'METRIC"),
    ],
)
def test_bad_conditions_are_named(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        Alert(name="a", feature_view="user_stats", condition=text, runbook="runbooks/x.md")


def test_bad_severity_and_for_are_refused() -> None:
    with pytest.raises(DefinitionError, match="severity 'high'"):
        Alert(name="a", feature_view="v", condition="freshness > 1h", severity="high")
    with pytest.raises(DefinitionError, match="duration 'soon'"):
        Alert(name="a", feature_view="v", condition="freshness > 1h", for_="soon")


@pytest.mark.parametrize(
    ("alert", "message"),
    [
        (Alert(name="a", feature_view="nope", condition="freshness > 1h"), "watches feature view 'nope'"),
        (
            Alert(name="a", feature_view="user_stats", condition="psi(missing) > 0.2"),
            "psi\\(missing\\) names no feature",
        ),
        (
            Alert(name="a", feature_view="user_stats", condition="rule_failures(no_such_rule) > 0"),
            "rule_failures\\(no_such_rule\\) names no rule of 'user_stats'",
        ),
    ],
)
def test_apply_checks_view_and_feature(tmp_path: Path, alert: Alert, message: str) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW, 1, seed=1))
    with make_store(tmp_path) as store, pytest.raises(DefinitionError, match=message):
        store.apply(definitions([alert]), skip_lint=True)


def test_relative_threshold_needs_an_expected_interval(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW, 1, seed=1))
    alert = Alert(name="a", feature_view="user_stats", condition="freshness > 2x")
    with make_store(tmp_path) as store, pytest.raises(DefinitionError, match="does not declare"):
        store.apply(definitions([alert], freshness=None), skip_lint=True)


def test_alert_without_runbook_is_a_lint_error(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW, 1, seed=1))
    bare = Alert(name="bare", feature_view="user_stats", condition="freshness > 1h")
    with make_store(tmp_path) as store, pytest.raises(LintError, match="FV601"):
        store.apply(definitions([bare]))


def test_runbook_file_must_exist_in_the_repo(tmp_path: Path) -> None:
    (tmp_path / "feature_store.yaml").write_text("project: linted\n")
    (tmp_path / "defs.py").write_text(
        "from featurevault import Alert\n"
        "a = Alert(name='a', feature_view='v', condition='freshness > 1h', runbook='runbooks/gone.md')\n"
        "b = Alert(name='b', feature_view='v', condition='freshness > 1h', runbook='runbooks/here.md')\n"
    )
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "here.md").write_text("# here\n")
    from featurevault._config import load_repo_config

    report = run_lint(load_repo(tmp_path), load_repo_config(tmp_path))
    assert [(f.rule, f.message) for f in report.findings if f.rule == "FV601"] == [
        ("FV601", "alert a: runbook runbooks/gone.md does not exist in the repo")
    ]


def test_prometheus_rules_match_the_alerts(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW, 1, seed=1))
    alerts = [
        Alert(
            name="stale",
            feature_view="user_stats",
            condition="freshness > 2x",
            severity="P1",
            for_="10m",
            runbook="runbooks/stale_features.md",
            owner="data-platform",
        ),
        Alert(name="drift", feature_view="user_stats", condition="psi(amount) > 0.2", runbook="runbooks/drift.md"),
    ]
    with make_store(tmp_path) as store:
        store.apply(definitions(alerts), skip_lint=True)
        rules = alert_rules("monitored", store.registry.contents())["groups"][0]["rules"]
    by_name = {r["alert"]: r for r in rules}
    assert by_name["stale"]["expr"] == (
        'featurevault_monitor_value{project="monitored", view="user_stats", feature="", metric="freshness"} > 7200'
    )
    assert by_name["stale"]["for"] == "600s" and by_name["stale"]["labels"] == {
        "severity": "P1",
        "owner": "data-platform",
    }
    assert by_name["drift"]["expr"].endswith('feature="amount", metric="psi"} > 0.2') and "for" not in by_name["drift"]
