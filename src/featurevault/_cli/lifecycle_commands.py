"""Lifecycle commands: history, diff, rollback, flag, promote, schedule.

Each calls the FeatureStore facade (authorized and audited there); commands that change
state show the active environment first.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from featurevault._cli.common import new_table as Table  # rich's Table, imported on first use

from featurevault._cli.common import console, err_console, fail, open_store, open_store_for_change
from featurevault.errors import FeatureVaultError

FormatOption = Annotated[str, typer.Option("--format", help="table or json.")]


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("diff")(diff)
    app.command("rollback")(rollback)
    app.command("promote")(promote)
    app.add_typer(_flag_group(), name="flag")
    app.add_typer(_schedule_group(), name="schedule")
    app.add_typer(_scaffold_group(), name="scaffold")


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        fail(f"--format {fmt!r} is not one of table, json")


def _print_json(payload: Any) -> None:
    console.print_json(json.dumps(payload, default=str))


def history(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most this many versions.")] = 20,
    fmt: FormatOption = "table",
) -> None:
    """Registry versions, newest first: version, time, principal, environment, summary."""
    _check_format(fmt)
    entries = open_store().history(limit)
    if fmt == "json":
        _print_json([e.to_dict() for e in entries])
        return
    table = Table("version", "created (UTC)", "principal", "environment", "summary")
    for e in entries:
        table.add_row(
            str(e.version), e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.principal, e.environment or "", e.summary
        )
    console.print(table)


def diff(
    old: Annotated[int, typer.Argument(help="The older version.")],
    new: Annotated[int | None, typer.Argument(help="The newer version (default: the newest).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Object- and field-level differences between two registry versions."""
    _check_format(fmt)
    result = open_store().diff(old, new)
    if fmt == "json":
        _print_json(result.to_dict())
        return
    if result.is_empty:
        console.print(f"No differences between version {result.from_version} and {result.to_version}.")
        return
    sign = {"add": "+", "remove": "-", "update": "~"}
    for change in result.changes:
        console.print(f"{sign[change.action]} {change.kind.replace('_', ' ')} {change.name}", highlight=False)
        for f in change.fields:
            console.print(
                f"    {f.field}: {json.dumps(f.before, default=str)} -> {json.dumps(f.after, default=str)}",
                highlight=False,
                markup=False,
            )


def rollback(
    version: Annotated[int, typer.Argument(help="The version whose definitions become current again.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
) -> None:
    """Make the definitions of VERSION current, as a new registry version."""
    from featurevault._cli.repo_commands import _print_plan

    store = open_store_for_change()
    result = store.rollback(version, dry_run=dry_run)
    _print_plan(result.plan)
    if result.committed:
        console.print(f"Rolled back to version {version} as version {result.new_version}")
    elif dry_run:
        console.print("Dry run: nothing written.")


def promote(
    source: Annotated[str, typer.Option("--from", help="The environment to promote from (e.g. staging).")],
    target: Annotated[str, typer.Option("--to", help="The environment to promote to (e.g. prod).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run the gates and show the plan only.")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Apply the current definitions of one environment to another, after its gates pass."""
    from featurevault._cli.common import state
    from featurevault._cli.repo_commands import _print_plan

    _check_format(fmt)
    if state.env not in (None, target):
        fail(f"--env {state.env} and --to {target} disagree; give one")
    state.env = target
    result = open_store_for_change().promote(source, dry_run=dry_run)
    if fmt == "json":
        _print_json(result.to_dict())
        return
    for gate in result.gates:
        console.print(f"gate {gate.name}: ok ({gate.detail})", highlight=False)
    _print_plan(result.plan)
    if result.committed:
        console.print(f"Promoted {source} v{result.source_version} to {target} as version {result.new_version}")
    elif dry_run:
        console.print("Dry run: nothing written.")


def _flag_group() -> typer.Typer:
    sub = typer.Typer(
        help="Feature flags of feature views, on-demand views and feature services.", no_args_is_help=True
    )

    @sub.command("set")
    def flag_set(
        name: Annotated[str, typer.Argument(help="Object name, or kind:name.")],
        percent: Annotated[float | None, typer.Option("--percent", help="Rollout share, 0 to 100.")] = None,
        off: Annotated[bool, typer.Option("--off", help="The kill switch: serve nobody.")] = False,
        on: Annotated[bool, typer.Option("--on", help="Enable again (with its percent and allow-list).")] = False,
        allow: Annotated[
            list[str] | None, typer.Option("--allow", help="Entity key always served (repeatable).")
        ] = None,
        clear_allow: Annotated[bool, typer.Option("--clear-allow", help="Empty the allow-list.")] = False,
    ) -> None:
        """Create or change a flag (seen by running servers within the registry cache TTL)."""
        if off and on:
            fail("give --off or --on, not both")
        enabled = False if off else True if on else None
        allowed = [] if clear_allow else allow
        flag = open_store_for_change().set_flag(name, percent=percent, enabled=enabled, allow=allowed)
        state = "on" if flag.enabled else "off"
        console.print(f"Flag {flag.target}: {state}, {flag.percent:g}%, allow-list {list(flag.allow)}", highlight=False)

    @sub.command("remove")
    def flag_remove(name: Annotated[str, typer.Argument(help="Object name, or kind:name.")]) -> None:
        """Remove a flag: the object is served to everyone."""
        open_store_for_change().remove_flag(name)
        console.print(f"Flag of {name} removed.")

    @sub.command("list")
    def flag_list(fmt: FormatOption = "table") -> None:
        """Every flag: target, state, percent, allow-list, who changed it last."""
        _check_format(fmt)
        flags = open_store().list_flags()
        if fmt == "json":
            _print_json([f.to_dict() for f in flags])
            return
        table = Table("target", "state", "percent", "allow-list", "updated by", "updated at")
        for f in flags:
            table.add_row(
                f.target, "on" if f.enabled else "off", f"{f.percent:g}", ", ".join(f.allow), f.updated_by, f.updated_at
            )
        console.print(table)

    return sub


def _schedule_group() -> typer.Typer:
    sub = typer.Typer(help="Scheduled materialization of views that declare a schedule.", no_args_is_help=True)

    @sub.command("run")
    def schedule_run(
        views: Annotated[list[str] | None, typer.Option("--views", "-v", help="Only these feature views.")] = None,
        fmt: FormatOption = "table",
        every: Annotated[
            float | None, typer.Option("--every", min=0.1, help="Keep running: a pass every SECONDS until stopped.")
        ] = None,
        metrics_port: Annotated[
            int | None,
            typer.Option(
                "--metrics-port", min=0, max=65535, help="With --every: serve Prometheus metrics on this port."
            ),
        ] = None,
        metrics_addr: Annotated[str, typer.Option("--metrics-addr", help="Address for --metrics-port.")] = "127.0.0.1",
    ) -> None:
        """Materialize incrementally every scheduled view that is due (each under a lock, with retries)."""
        _check_format(fmt)
        if metrics_port is not None and every is None:
            raise typer.BadParameter(
                "--metrics-port needs --every (a single pass ends before a scrape)", param_hint="--metrics-port"
            )
        store = open_store_for_change()
        if every is not None:
            _run_forever(store, views, every, metrics_port, metrics_addr, fmt)
            return
        result = store.run_schedules(views=views)
        _print_pass(result, fmt)
        if result.failed:
            raise typer.Exit(1)

    @sub.command("runs")
    def schedule_runs(
        view: Annotated[str | None, typer.Argument(help="Only this feature view.")] = None,
        limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most this many runs.")] = 20,
        fmt: FormatOption = "table",
    ) -> None:
        """Recorded scheduled runs, newest first: start, end, duration, rows, outcome."""
        _check_format(fmt)
        runs = open_store().schedule_runs(view, limit=limit)
        if fmt == "json":
            _print_json([r.to_dict() for r in runs])
            return
        table = Table("view", "scheduled for", "started", "seconds", "rows", "outcome", "attempts", "error")
        for r in runs:
            table.add_row(
                r.view,
                r.scheduled_for.isoformat(),
                r.started_at.isoformat(),
                f"{r.duration_seconds:.3f}",
                str(r.rows),
                r.outcome,
                str(r.attempts),
                r.error or "",
            )
        console.print(table)

    @sub.command("status")
    def schedule_status(fmt: FormatOption = "table") -> None:
        """Each scheduled view: its schedule, last run (outcome, rows) and next run."""
        _check_format(fmt)
        rows = open_store().schedule_status()
        if fmt == "json":
            _print_json([r.to_dict() for r in rows])
            return
        table = Table("view", "schedule", "last run", "outcome", "rows", "next run", "due")
        for r in rows:
            last = r.last_run or {}
            table.add_row(
                r.view,
                r.schedule,
                str(last.get("started_at", "never")),
                str(last.get("outcome", "")),
                str(last.get("rows", "")),
                r.next_run.isoformat(),
                "yes" if r.due else "no",
            )
        console.print(table)

    return sub


def _print_pass(result: Any, fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), default=str))
        return
    for run in result.runs:
        console.print(run.line(), highlight=False)
    if not result.runs:
        console.print("No scheduled view is due.")


def _run_forever(store: Any, views: list[str] | None, every: float, port: int | None, addr: str, fmt: str) -> None:
    """The long-running scheduler: a pass every ``every`` seconds until SIGTERM or Ctrl-C."""
    import signal
    import threading

    from featurevault._lifecycle.schedule import run_forever
    from featurevault._lifecycle.schedule_metrics import RunsSnapshot, serve_metrics
    from featurevault._lifecycle.schedule_record import last_runs

    stop = threading.Event()
    snapshot = RunsSnapshot()
    snapshot.update(last_runs(store.registry.registry, store.project))
    stop_metrics = serve_metrics(port, snapshot, addr) if port is not None else (lambda: None)
    if port is not None:
        console.print(f"Metrics on http://{addr}:{port}/metrics", highlight=False)
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def on_pass(result: Any) -> None:
        _print_pass(result, fmt)
        try:
            snapshot.update(last_runs(store.registry.registry, store.project))
        except FeatureVaultError as exc:  # the metrics keep the last copy read; the next pass tries again
            err_console.print(f"schedule: the recorded runs cannot be read: {exc}", highlight=False)

    try:
        run_forever(store, every=every, stop=stop, on_pass=on_pass, views=views)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_metrics()
    console.print("Scheduler stopped.")


def _scaffold_group() -> typer.Typer:
    sub = typer.Typer(help="Add project scaffolding to an existing feature repo.", no_args_is_help=True)

    @sub.command("ci")
    def scaffold_ci_command(
        force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
        repo_dir: Annotated[
            str, typer.Option("--repo-dir", help="The repo's path inside the git checkout (CI runs from there).")
        ] = ".",
    ) -> None:
        """Write GitHub Actions and GitLab CI pipelines, tests of the repo's definitions and a rollback runbook."""
        from featurevault._cli.common import state
        from featurevault._cli.scaffold_ci import scaffold_ci

        result = scaffold_ci(state.repo_path, force=force, repo_dir=repo_dir)
        for rel in result.written:
            console.print(f"wrote {rel}", highlight=False)
        for rel in result.kept:
            console.print(f"kept {rel} (exists; --force overwrites)", highlight=False)

    return sub


__all__ = ["register"]
