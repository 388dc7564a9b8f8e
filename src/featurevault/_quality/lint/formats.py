"""Lint output as data: JSON findings, SARIF 2.1.0 for code-scanning tools, GitHub annotations, table rows.

Rendering (colours, widths) is the CLI's job; these functions only shape data.
"""

from __future__ import annotations

from typing import Any

from featurevault._quality.lint.engine import Finding, LintReport
from featurevault._quality.lint.rules import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TABLE_COLUMNS = ("severity", "rule", "object", "location", "message", "fix")


def to_json(report: LintReport) -> list[dict[str, Any]]:
    """A list of findings: rule, severity, kind, object, file, line, message, fix."""
    return [f.to_dict() for f in report.findings]


def table_rows(report: LintReport) -> list[tuple[str, ...]]:
    """One row per finding, in ``TABLE_COLUMNS`` order."""
    return [(f.severity, f.rule, f.object, f.location, f.message, f.fix) for f in report.findings]


def to_sarif(report: LintReport, *, tool_version: str = "") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every rule that ran as a reporting descriptor, every finding as a result."""
    rule_ids = list(report.levels)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    driver: dict[str, Any] = {
        "name": "featurevault-lint",
        "rules": [_sarif_rule(rule_id, report.levels[rule_id]) for rule_id in rule_ids],
    }
    if tool_version:
        driver["version"] = tool_version
    results = [_sarif_result(f, index[f.rule]) for f in report.findings]
    run = {"tool": {"driver": driver}, "results": results}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _sarif_rule(rule_id: str, level: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "help": {"text": f"Fix: {rule.fix}"},
        "defaultConfiguration": {"level": level},
    }


def _sarif_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [{"name": finding.object, "kind": finding.kind}],
    }
    if finding.file is not None:
        region = {"startLine": finding.line} if finding.line else {}
        location["physicalLocation"] = {"artifactLocation": {"uri": finding.file}, "region": region}
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.severity,
        "message": {"text": f"{finding.message}. Fix: {finding.fix}"},
        "locations": [location],
    }


def to_github(report: LintReport) -> list[str]:
    """GitHub Actions workflow commands (``::warning file=...,line=...::message``), one per finding."""
    return [_github_line(f) for f in report.findings]


def _github_line(finding: Finding) -> str:
    props = []
    if finding.file is not None:
        props.append(f"file={_escape_property(finding.file)}")
        if finding.line:
            props.append(f"line={finding.line}")
    props.append(f"title={_escape_property(f'{finding.rule} {RULES[finding.rule].name}')}")
    message = _escape_data(f"{finding.message}. Fix: {finding.fix}")
    return f"::{finding.severity} {','.join(props)}::{message}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
