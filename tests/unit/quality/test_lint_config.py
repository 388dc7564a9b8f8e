"""Severity and selection: defaults, enforce, per-rule levels, select/ignore, per-object tags, fixed errors."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from featurevault._config import LintConfig, RepoConfig
from featurevault.errors import ConfigError, LintError
from featurevault._model import RepoContents
from featurevault._quality.lint import check_apply, lint_blocks_apply, rule_levels, run_lint


@pytest.fixture
def feast_style(build: SimpleNamespace) -> RepoContents:
    """A Feast demo repo: conv_rate in driver_hourly_stats, plus a service naming a removed feature."""
    driver = build.entity("driver")
    fv = build.view("driver_hourly_stats", [driver], ["conv_rate", "acc_rate"])
    return build.repo(fv)


def _levels(report: object) -> set[tuple[str, str]]:
    return {(f.rule, f.severity) for f in report.findings}  # type: ignore[attr-defined]


def test_naming_rules_are_warnings_by_default(feast_style: RepoContents) -> None:
    report = run_lint(feast_style)
    assert _levels(report) == {("FV104", "warning"), ("FV301", "warning")}
    assert not lint_blocks_apply(report.findings)
    assert check_apply(report) == {}


def test_enforce_turns_warnings_into_errors(feast_style: RepoContents) -> None:
    report = run_lint(feast_style, LintConfig(enforce=True))
    assert _levels(report) == {("FV104", "error"), ("FV301", "error")}
    assert lint_blocks_apply(report.findings)


def test_per_rule_severity_wins_over_enforce(feast_style: RepoContents) -> None:
    report = run_lint(feast_style, LintConfig(enforce=True, severity={"FV104": "warning", "FV301": "off"}))
    assert _levels(report) == {("FV104", "warning")}
    report = run_lint(feast_style, LintConfig(severity={"FV301": "error"}))
    assert _levels(report) == {("FV104", "warning"), ("FV301", "error")}


def test_select_and_ignore_with_prefixes(feast_style: RepoContents) -> None:
    assert _levels(run_lint(feast_style, LintConfig(select=["FV3"]))) == {("FV301", "warning")}
    assert _levels(run_lint(feast_style, LintConfig(ignore=["FV1"]))) == {("FV301", "warning")}
    assert _levels(run_lint(feast_style, ignore=["FV301", "FV104"])) == set()
    # the CLI's --select replaces the configured selection
    assert _levels(run_lint(feast_style, LintConfig(select=["FV3"]), select=["FV104"])) == {("FV104", "warning")}


def test_per_object_tag_ignore(build: SimpleNamespace) -> None:
    driver = build.entity("driver")
    tags = {"team": "fraud", "lint.ignore": "FV301, FV104"}
    fv = build.view("driver_hourly_stats", [driver], ["conv_rate"], tags=tags)
    assert run_lint(build.repo(fv)).findings == []


def test_per_feature_tag_ignore(build: SimpleNamespace) -> None:
    from featurevault._model import Field
    from featurevault.types import Float32

    driver = build.entity("driver")
    fv = build.view("driver_trips_hourly", [driver], ["conv_rate"])
    fv.features.append(Field(name="acc_rate", dtype=Float32, tags={"lint.ignore": "FV1"}))
    assert [f.object for f in run_lint(build.repo(fv)).findings] == ["driver_trips_hourly:conv_rate"]


def test_always_error_rules_cannot_be_downgraded_or_ignored(build: SimpleNamespace) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    service = build.service(name="fraud_detection_v1", features=[fv], tags={"lint.ignore": "FV402"})
    contents = build.repo(service)
    for config in (LintConfig(), LintConfig(ignore=["FV4"]), LintConfig(select=["FV1"])):
        assert _levels(run_lint(contents, config)) == {("FV402", "error")}
    with pytest.raises(ConfigError, match="FV402 is always an error"):
        run_lint(contents, LintConfig(severity={"FV402": "warning"}))


def test_unknown_rule_codes_are_config_errors(feast_style: RepoContents) -> None:
    with pytest.raises(ConfigError, match="lint.select: 'FV9' matches no lint rule"):
        run_lint(feast_style, LintConfig(select=["FV9"]))
    with pytest.raises(ConfigError, match="lint.severity: 'XX1' is not a lint rule"):
        run_lint(feast_style, LintConfig(severity={"XX1": "error"}))


def test_lint_section_in_feature_store_yaml() -> None:
    data = {
        "project": "demo",
        "lint": {
            "enforce": True,
            "select": "FV1,FV3",
            "ignore": ["FV305"],
            "severity": {"FV101": "warning"},
            "vocabularies": {"frequencies": ["daily", "quarterly"], "tags": {"team": ["fraud"]}},
        },
    }
    config = RepoConfig(**data)
    assert config.lint.select == ["FV1", "FV3"] and config.lint.vocabularies.frequencies == ["daily", "quarterly"]
    levels = rule_levels(config.lint)
    assert levels["FV101"] == "warning" and levels["FV301"] == "error" and "FV305" not in levels
    assert "FV201" not in levels and levels["FV402"] == "error"


@pytest.mark.parametrize(
    ("lint", "message"),
    [({"enforced": True}, "unknown key 'lint.enforced'"), ({"severity": {"FV101": "fatal"}}, "'lint.severity.FV101'")],
)
def test_bad_lint_section_names_the_key(lint: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RepoConfig(project="demo", lint=lint)
    assert message in str(caught.value)


def test_configured_vocabulary_changes_the_rules(build: SimpleNamespace) -> None:
    fv = build.view("user_orders_quarterly", [build.entity("user")], ["user_order_total_90d"])
    assert {f.rule for f in run_lint(build.repo(fv)).findings} == {"FV301", "FV107"}
    config = RepoConfig(
        project="demo",
        lint={"vocabularies": {"frequencies": ["quarterly"], "aggregations": ["total"]}},
    )
    assert run_lint(build.repo(fv), config).findings == []


def test_apply_gate(feast_style: RepoContents) -> None:
    report = run_lint(feast_style, LintConfig(enforce=True))
    with pytest.raises(LintError, match="3 lint error\\(s\\) block apply; first: FV104 feature driver_hourly_stats"):
        check_apply(report)
    assert check_apply(report, skip_lint=True) == {"skip_lint": True, "lint_errors": 3}


def test_bare_yaml_off_is_the_level_off(tmp_path) -> None:
    """docs/lint.md writes ``FV304: off``; YAML 1.1 reads that as false, which must mean "off"."""
    import yaml

    from featurevault._config import parse_config

    data = yaml.safe_load("project: p\nlint: {severity: {FV101: error, FV304: off}}\n")
    assert data["lint"]["severity"]["FV304"] is False
    config = parse_config(data, source="feature_store.yaml", repo_path=tmp_path)
    assert config.lint.severity == {"FV101": "error", "FV304": "off"}


def test_bare_yaml_on_is_rejected_with_a_hint(tmp_path) -> None:
    import yaml

    from featurevault._config import parse_config

    data = yaml.safe_load("project: p\nlint: {severity: {FV304: on}}\n")
    with pytest.raises(ConfigError, match=r'FV304.*"off", "warning", "error"'):
        parse_config(data, source="feature_store.yaml", repo_path=tmp_path)
