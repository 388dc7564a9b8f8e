"""Monitoring commands: ``monitor baseline|run|freshness|consistency|served-drift|export-rules``, ``alerts``, ``runbook show``."""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from featurevault._cli.common import new_table as Table  # rich's Table, imported on first use

from featurevault._cli.common import console, fail, open_store, styled
from featurevault._cli.repo_commands import _parse_time

if TYPE_CHECKING:
    from featurevault._monitoring.service import MonitorRunResult

monitor_app = typer.Typer(help="Freshness, drift and skew: baselines, evaluations, alert rules.", no_args_is_help=True)
runbook_app = typer.Typer(help="Runbooks of the repo's alerts.", no_args_is_help=True)

STATE_STYLE = {"firing": "red", "pending": "yellow", "resolved": "green", "inactive": "dim"}


class Format(str, Enum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")
    app.add_typer(runbook_app, name="runbook")
    app.command("alerts")(alerts)


@monitor_app.command("baseline")
def baseline(
    view: Annotated[str, typer.Argument(help="Feature view.")],
    start: Annotated[str, typer.Option("--start", help="Window start (ISO 8601).")],
    end: Annotated[str, typer.Option("--end", help="Window end (ISO 8601, or 'now').")],
) -> None:
    """Record the drift baseline of VIEW over [--start, --end]."""
    recorded = open_store().monitor_baseline(view, _parse_time(start, "--start"), _parse_time(end, "--end"))
    console.print(
        f"baseline of {recorded.view}: {recorded.rows} rows, {len(recorded.features)} features", highlight=False
    )


@monitor_app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="Evaluate once and exit (1 when a P1 alert fires).")] = False,
    interval: Annotated[
        str, typer.Option("--interval", help="Seconds between evaluations when looping (60s, 5m).")
    ] = "60s",
    start: Annotated[str | None, typer.Option("--start", help="Current window start (default: end - 24h).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Current window end (default: now).")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Measure freshness and drift, evaluate every alert and notify its receivers."""
    from featurevault._model.alert_condition import parse_duration

    store = open_store()
    start_t = _parse_time(start, "--start") if start else None
    end_t = _parse_time(end, "--end") if end else None
    seconds = parse_duration(interval, "--interval")
    while True:
        result = store.monitor_run(start_t, end_t)
        _print_run(result, output)
        if once:
            raise typer.Exit(1 if result.p1_firing else 0)
        time.sleep(seconds)


@monitor_app.command("freshness")
def freshness(output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table) -> None:
    """Freshness of every feature view: newest offline event, last materialization, newest online event (sampled)."""
    views = open_store().view_freshness()
    if output is Format.json:
        typer.echo(json.dumps([v.to_dict() for v in views], indent=2, default=str))
        return
    table = Table(title="Freshness")
    for column in (
        "view",
        "newest event",
        "freshness s",
        "last materialized",
        "materialization age s",
        "newest online event",
        "online freshness s",
        "sampled",
        "stale",
    ):
        table.add_column(column, overflow="fold")
    for v in views:
        table.add_row(
            v.view,
            _time(v.newest_event),
            _num(v.freshness_seconds),
            _time(v.last_materialized),
            _num(v.materialization_age_seconds),
            _time(v.online_newest_event),
            _num(v.online_freshness_seconds),
            str(v.online_sampled),
            "yes" if v.stale else "no",
        )
    console.print(table)


@monitor_app.command("consistency")
def consistency(
    view: Annotated[str, typer.Argument(help="Feature view.")],
    sample: Annotated[int, typer.Option("--sample", min=1, help="Entities to compare.")] = 100,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Compare the online values of sampled entities with their offline values."""
    report = open_store().monitor_consistency(view, sample)
    if output is Format.json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    table = Table(title=f"Consistency of {report.view} ({report.sampled} entities)")
    for column in ("feature", "compared", "mismatches", "rate", "not materialized", "expired", "example"):
        table.add_column(column, overflow="fold")
    for f in report.features:
        example = json.dumps(f.examples[0], default=str) if f.examples else ""
        table.add_row(
            f.feature,
            str(f.compared),
            str(f.mismatches),
            f"{f.mismatch_rate:.2%}",
            str(f.not_materialized),
            str(f.expired),
            example,
        )
    console.print(table)


@monitor_app.command("served-drift")
def served_drift(
    service: Annotated[str, typer.Argument(help="Feature service with a logging_config.")],
    start: Annotated[str | None, typer.Option("--start", help="Window start (default: end - 24h).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Window end (default: now).")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Drift of the values SERVICE served (its feature log) against its views' baselines."""
    start_t = _parse_time(start, "--start") if start else None
    end_t = _parse_time(end, "--end") if end else None
    report = open_store().monitor_served_drift(service, start_t, end_t)
    if output is Format.json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    table = Table(title=f"Served drift of {report.service}: {report.rows} logged rows ({report.files} files)")
    for column in ("view", "feature", "rows", "null rate", "psi", "js", "ks", "chi2"):
        table.add_column(column)
    for view, items in report.drift.items():
        for d in items:
            table.add_row(
                view,
                d.feature,
                str(d.rows),
                _num(d.null_rate, ".3f"),
                _num(d.psi, ".3f"),
                _num(d.js, ".3f"),
                _num(d.ks, ".3f"),
                _num(d.chi2, ".3g"),
            )
    console.print(table)
    if report.without_baseline:
        console.print(f"no baseline for: {', '.join(report.without_baseline)}", highlight=False)


@monitor_app.command("export-rules")
def export_rules(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write the repo's alerts as a Prometheus alerting-rules file."""
    text = open_store().export_alert_rules()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        console.print(f"wrote {output}", highlight=False)


def alerts(
    state: Annotated[
        str | None, typer.Option("--state", help="Only alerts in this state (firing, pending, ...).")
    ] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """List the alerts with their last state and runbook."""
    from featurevault._monitoring.evaluator import FIRING, INACTIVE, PENDING, RESOLVED

    if state is not None and state not in (INACTIVE, PENDING, FIRING, RESOLVED):
        fail(f"--state {state!r} is not one of inactive, pending, firing, resolved")
    rows = open_store().list_alerts(state)
    if output is Format.json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    _alerts_table(rows)


@runbook_app.command("show")
def show(name: Annotated[str, typer.Argument(help="Runbook (stale_features, or runbooks/stale_features.md).")]) -> None:
    """Print a runbook of the repo."""
    from rich.markdown import Markdown

    console.print(Markdown(open_store().get_runbook(name)))


def _print_run(result: MonitorRunResult, output: Format) -> None:
    if output is Format.json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    views = Table(title=f"Monitoring at {result.at.isoformat(timespec='seconds')}")
    for column in ("view", "freshness s", "materialization age s", "online freshness s", "stale", "rows", "max psi"):
        views.add_column(column)
    for m in result.views:
        f = m.freshness
        psi = max((d.psi for d in m.drift), default=None)
        views.add_row(
            m.view,
            _num(f.freshness_seconds),
            _num(f.materialization_age_seconds),
            _num(f.online_freshness_seconds),
            "yes" if f.stale else "no",
            _num(m.rows),
            _num(psi, ".3f"),
        )
    console.print(views)
    rules = [(m.view, r) for m in result.views for r in m.rules]
    if rules:
        table = Table(title="Rule failures in the window")
        for column in ("view", "rule", "failed", "checked", "rate"):
            table.add_column(column)
        for view, r in rules:
            table.add_row(view, r.rule, str(r.failed), str(r.checked), f"{r.rate:.2%}")
        console.print(table)
    if result.serving_p99_ms is not None:
        console.print(f"serving p99 since the last run: {result.serving_p99_ms:.1f} ms", highlight=False)
    _alerts_table([s.to_dict() for s in result.alerts])
    for n in result.notifications:
        status = "sent" if n.delivered else f"failed ({n.error}); retried next run"
        console.print(f"notification {n.alert} {n.state} -> {n.receiver}: {status}", highlight=False)


def _alerts_table(rows: list[dict[str, Any]]) -> None:
    table = Table(title="Alerts")
    for column in ("alert", "view", "severity", "condition", "state", "value", "since", "runbook"):
        table.add_column(column, overflow="fold")
    for r in rows:
        style = STATE_STYLE.get(r["state"], "")
        table.add_row(
            r["alert"],
            r["feature_view"],
            r["severity"],
            r["condition"],
            styled((r["state"], style)),
            _num(r["value"], ".4g"),
            r["since"] or "",
            r["runbook"] or "none",
        )
    console.print(table)


def _time(value: Any) -> str:
    return "-" if value is None else value.isoformat(timespec="seconds")


def _num(value: Any, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)
