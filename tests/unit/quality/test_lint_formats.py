"""Lint output: JSON findings, SARIF 2.1.0, GitHub annotations, table rows."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from featurevault._model import Entity
from featurevault._quality.lint import Finding, LintReport, run_lint
from featurevault._quality.lint.formats import TABLE_COLUMNS, table_rows, to_github, to_json, to_sarif


@pytest.fixture
def report(build: SimpleNamespace) -> LintReport:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d", "f1"])
    service = build.service(name="fraud_model", features=[fv[["user_txn_count_7d"]]])
    bad = Entity(name="entity", join_keys=["id"], description="generic, with a comma: and a colon")
    contents = build.repo(bad, service)  # the view is missing: FV402 is an error
    contents.feature_views[fv.name] = fv
    return run_lint(contents)


def test_json_is_a_list_of_findings(report: LintReport) -> None:
    data = json.loads(json.dumps(to_json(report)))
    assert isinstance(data, list) and len(data) == len(report.findings) >= 4
    for item in data:
        assert {"rule", "severity", "object", "file", "line", "message", "fix"} <= set(item)
        assert item["severity"] in ("error", "warning") and isinstance(item["line"], int)
    assert {d["rule"] for d in data} >= {"FV106", "FV201", "FV202", "FV401"}


def test_sarif_structure(report: LintReport) -> None:
    sarif = json.loads(json.dumps(to_sarif(report, tool_version="0.1.0")))
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"]
    assert all({"id", "shortDescription", "defaultConfiguration"} <= set(r) for r in rules)
    assert len(run["results"]) == len(report.findings)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning") and result["message"]["text"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] and physical["region"]["startLine"] >= 1


def test_github_annotations_escape_properties(report: LintReport) -> None:
    lines = to_github(report)
    assert len(lines) == len(report.findings)
    for line, finding in zip(lines, report.findings, strict=True):
        assert line.startswith(f"::{finding.severity} file=") and f"line={finding.line}," in line
        assert f"title={finding.rule} " in line and "\n" not in line
    assert any(line.startswith("::warning ") for line in lines)


def test_github_message_escaping() -> None:
    finding = Finding("FV101", "warning", "feature", "v:f", "dir,a:b/repo.py", 3, "100% bad\nname", "fix it")
    line = to_github(LintReport(findings=[finding], levels={"FV101": "warning"}))[0]
    assert line == (
        "::warning file=dir%2Ca%3Ab/repo.py,line=3,title=FV101 feature-snake-case::100%25 bad%0Aname. Fix: fix it"
    )


def test_table_rows(report: LintReport) -> None:
    rows = table_rows(report)
    assert len(rows) == len(report.findings) and all(len(r) == len(TABLE_COLUMNS) for r in rows)
    assert rows[0][3].endswith(f":{report.findings[0].line}")


def test_clean_repo_has_no_results(build: SimpleNamespace) -> None:
    fv = build.view("user_transactions_daily", [build.entity("user")], ["user_txn_count_7d"])
    clean = run_lint(build.repo(fv))
    assert to_json(clean) == [] and to_github(clean) == [] and to_sarif(clean)["runs"][0]["results"] == []
