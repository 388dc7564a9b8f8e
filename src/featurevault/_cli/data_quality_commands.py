"""Data-quality commands: ``validate``, ``profile`` and ``quarantine list|show|release|purge``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any

import typer
from featurevault._cli.common import new_table as Table  # rich's Table, imported on first use

from featurevault._cli.common import console, fail, open_store, styled, usage_error


class Format(str, Enum):
    table = "table"
    json = "json"


quarantine_app = typer.Typer(help="Rows kept out of the stores by validation rules.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("profile")(profile)
    app.add_typer(quarantine_app, name="quarantine")


def _time(value: str | None, label: str) -> datetime | None:
    if value is None:
        return None
    if value == "now":
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{label} {value!r} is not an ISO 8601 time such as 2024-01-15T00:00:00 (or 'now')")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_age(value: str) -> timedelta:
    """``30d``, ``12h``, ``45m``, ``90s`` or ``2w`` as a timedelta."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", value)
    if not match:
        fail(f"--older-than {value!r}: use a number and a unit, e.g. 30d, 12h, 45m, 90s or 2w")
    number, unit = float(match.group(1)), match.group(2)
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    return timedelta(**{units[unit]: number})


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def validate(
    views: Annotated[list[str] | None, typer.Argument(help="Feature views (default: all).")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Only rows at or after this time.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Only rows at or before this time.")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Run the views' rules over their offline data; exit 1 when a block rule fails."""
    with open_store() as store:
        report = store.validate(views or None, _time(start, "START"), _time(end, "END"))
    if output is Format.json:
        _echo_json(report.to_dict())
    else:
        _print_validation(report)
    if report.blocked:
        raise typer.Exit(1)


def _print_validation(report: Any) -> None:
    table = Table(title="Validation")
    for column in ("view", "rule", "on_fail", "failed", "rows"):
        table.add_column(column, overflow="fold")
    for view in report.views:
        for rule in view.rules:
            style = "red" if rule.failed and rule.on_fail == "block" else ("yellow" if rule.failed else "green")
            table.add_row(view.view, rule.rule, rule.on_fail, styled((str(rule.failed), style)), str(view.rows))
    console.print(table)
    for view in report.views:
        coverage = "backfilled" if view.backfilled else "NOT backfilled"
        console.print(
            f"{view.view}: {view.rows} rows, {view.earliest} .. {view.latest}, "
            f"{len(view.missing_days)} day(s) without rows, {coverage}",
            highlight=False,
        )


def profile(
    view: Annotated[str, typer.Argument(help="The feature view.")],
    start: Annotated[str | None, typer.Option("--start", help="Only rows at or after this time.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Only rows at or before this time.")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    history: Annotated[
        bool, typer.Option("--history", help="List the stored profiles (within --start/--end) instead of taking one.")
    ] = False,
    profile_id: Annotated[
        str | None, typer.Option("--id", help="Show this stored profile instead of taking one.")
    ] = None,
) -> None:
    """Profile a view's features (every profile is stored with its time range; --history lists them)."""
    if history and profile_id is not None:
        usage_error("--history and --id cannot be used together", "Use --history to list, then --id ID to show one.")
    with open_store() as store:
        if history:
            _print_history(view, store.list_profiles(view, _time(start, "START"), _time(end, "END")), output)
            return
        if profile_id is not None:
            result = store.get_profile(view, profile_id)
            if result is None:
                fail(
                    f"feature view {view!r} has no stored profile with id {profile_id!r}; "
                    f"list them with `featurevault profile {view} --history`"
                )
        else:
            result = store.profile(view, _time(start, "START"), _time(end, "END"))
    if output is Format.json:
        _echo_json(result.to_dict())
        return
    table = Table(title=f"Profile {result.id} of {view} ({result.rows} rows)")
    for column in ("feature", "nulls", "distinct", "min", "max", "mean", "std", "p50", "top"):
        table.add_column(column, overflow="fold")
    for name, p in result.features.items():
        top = ", ".join(f"{v}×{n}" for v, n in p.top_values)
        table.add_row(
            name,
            f"{p.nulls} ({p.null_rate:.1%})",
            str(p.distinct),
            _fmt(p.min),
            _fmt(p.max),
            _fmt(p.mean),
            _fmt(p.std),
            _fmt(p.quantiles.get("0.5")),
            top,
        )
    console.print(table)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _print_history(view: str, profiles: list[Any], output: Format) -> None:
    if output is Format.json:
        _echo_json([p.summary() for p in profiles])
        return
    table = Table(title=f"Stored profiles of {view} ({len(profiles)})")
    for column in ("id", "start", "end", "taken at", "rows"):
        table.add_column(column, overflow="fold")
    for p in profiles:
        row = p.summary()
        table.add_row(p.id or "(no id)", row["start"] or "beginning", row["end"] or "now", row["at"], str(p.rows))
    console.print(table)


@quarantine_app.command("list")
def quarantine_list(
    view: Annotated[str | None, typer.Option("--view", help="Only this feature view.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many rows.")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Quarantined rows, oldest first."""
    with open_store() as store:
        entries = store.list_quarantined(view, limit)
    if output is Format.json:
        _echo_json([e.to_dict() for e in entries])
        return
    table = Table(title=f"Quarantine ({len(entries)} rows)")
    for column in ("id", "view", "rule", "operation", "target", "principal", "at"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(e.id, e.view, e.rule, e.operation, e.target, e.principal, e.at.isoformat(timespec="seconds"))
    console.print(table)


@quarantine_app.command("show")
def quarantine_show(
    entry_id: Annotated[str, typer.Argument(help="The quarantined row's id.")],
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """One quarantined row with its original values."""
    with open_store() as store:
        entry = store.get_quarantined(entry_id)
    data = entry.to_dict()
    if output is Format.json:
        _echo_json(data)
        return
    table = Table(title=f"Quarantined row {entry.id}", show_header=False)
    for key in ("view", "rule", "operation", "target", "run_id", "principal", "at"):
        table.add_row(key, str(data[key]))
    for key, value in data["values"].items():
        table.add_row(f"  {key}", json.dumps(value, default=str))
    console.print(table)


@quarantine_app.command("release")
def quarantine_release(
    ids: Annotated[list[str], typer.Argument(help="Ids of the rows to release.")],
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Re-validate rows against the current rules and write those that pass; exit 1 if any still fails."""
    with open_store() as store:
        result = store.release_quarantined(ids)
    if output is Format.json:
        _echo_json(result.to_dict())
    else:
        console.print(
            f"released {len(result.released)}, still failing {len(result.still_failing)}"
            + (f", view gone {len(result.orphaned)}" if result.orphaned else ""),
            highlight=False,
        )
    if result.still_failing or result.orphaned:
        raise typer.Exit(1)


@quarantine_app.command("purge")
def quarantine_purge(
    older_than: Annotated[str, typer.Option("--older-than", help="Age such as 30d, 12h or 2w.")],
    view: Annotated[str | None, typer.Option("--view", help="Only this feature view.")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Delete quarantined rows older than an age."""
    age = parse_age(older_than)
    with open_store() as store:
        removed = store.purge_quarantined(age, view)
    if output is Format.json:
        _echo_json({"purged": removed})
    else:
        console.print(f"purged {removed} quarantined row(s) older than {older_than}", highlight=False)
