"""A plan rendered for machines and reviewers: Markdown for a pull-request comment, and JSON."""

from __future__ import annotations

from typing import Any

from featurevault._ops.apply import Plan

_SIGNS = {"add": "➕ add", "update": "✏️ update", "remove": "❌ remove"}


def plan_markdown(plan: Plan, project: str, environment: str | None) -> str:
    """The plan as GitHub/GitLab-flavoured Markdown: a summary line, a table of changes, lint findings."""
    where = f"project `{project}`" + (f", environment `{environment}`" if environment else "")
    lines = [f"### featurevault plan: {where}", ""]
    if not plan.has_changes:
        lines.append(f"No changes (registry version {plan.base_version}).")
    else:
        lines += [
            f"**{plan.summary()}** against registry version {plan.base_version}.",
            "",
            "| change | kind | name | fields |",
            "|---|---|---|---|",
        ]
        for change in plan.changes:
            fields = ", ".join(f"`{f}`" for f in change.fields)
            lines.append(f"| {_SIGNS[change.action]} | {change.kind.replace('_', ' ')} | `{change.name}` | {fields} |")
    findings = plan.lint.findings
    if findings:
        lines += [
            "",
            f"<details><summary>Lint: {len(plan.lint.errors)} error(s), "
            f"{len(findings) - len(plan.lint.errors)} other finding(s)</summary>",
            "",
            "| rule | severity | object | message |",
            "|---|---|---|---|",
        ]
        lines += [f"| {f.rule} | {f.severity} | `{f.object}` | {f.message.replace('|', '/')} |" for f in findings]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan, project: str, environment: str | None) -> dict[str, Any]:
    return {
        "project": project,
        "environment": environment,
        "base_version": plan.base_version,
        "has_changes": plan.has_changes,
        "changes": [
            {"action": c.action, "kind": c.kind, "name": c.name, "fields": list(c.fields)} for c in plan.changes
        ],
        "lint": [f.to_dict() for f in plan.lint.findings],
        "retention_seconds": plan.retention,
    }
