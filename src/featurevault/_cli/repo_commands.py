"""Repo commands: init, plan, apply, materialize, reads, listing, registry dump, teardown, version.

Every command that touches the registry or data calls the FeatureStore facade, whose guard
checks the caller's permission (the principal of ``FEATUREVAULT_TOKEN``) and audits the call.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Annotated, Any

import typer

from featurevault._cli.common import (
    console,
    fail,
    new_table,
    open_store,
    open_store_for_change,
    state,
    styled,
    usage_error,
)
from featurevault.errors import LintError

OBJECT_KINDS = {
    "entities": ("list_entities", "get_entity"),
    "feature-views": ("list_feature_views", "get_feature_view"),
    "on-demand-feature-views": ("list_on_demand_feature_views", "get_on_demand_feature_view"),
    "feature-services": ("list_feature_services", "get_feature_service"),
    "data-sources": ("list_data_sources", "get_data_source"),
}


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("plan")(plan)
    app.command("apply")(apply)
    app.command("materialize")(materialize)
    app.command("materialize-incremental")(materialize_incremental)
    app.command("get-online-features")(get_online_features)
    app.command("registry-dump")(registry_dump)
    app.command("registry-history")(registry_history)
    app.command("teardown")(teardown)
    app.command("version")(version)
    for group, (list_method, get_method) in OBJECT_KINDS.items():
        app.add_typer(_object_group(group, list_method, get_method), name=group)


def init(
    name: Annotated[str, typer.Argument(help="Directory of the new feature repo.")] = "my_feature_repo",
) -> None:
    """Scaffold a runnable demo repo with generated sample data."""
    from featurevault._cli.scaffold import scaffold

    target = (state.repo_path / name).resolve()
    scaffold(target)
    console.print(styled("Created feature repo ", (str(target), "bold")))
    console.print(f"Next: cd {name} && featurevault apply && featurevault materialize-incremental now")
    console.print("Then: python demo_workflow.py, featurevault serve, featurevault readiness")


def _load_plan(skip_lint: bool = False) -> Any:
    from featurevault._ops.repo import load_repo

    store = open_store()
    contents = load_repo(store.repo_path)
    return store, store.plan(contents)


def plan(
    fmt: Annotated[
        str, typer.Option("--format", help="table, markdown (for a pull-request comment) or json.")
    ] = "table",
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 2 when there are changes, 0 when none (1 on errors).")
    ] = False,
) -> None:
    """Show what apply would change, and the lint findings, without writing anything."""
    from featurevault._cli.quality_commands import print_lint_report
    from featurevault._lifecycle.plan_report import plan_json, plan_markdown

    if fmt not in ("table", "markdown", "json"):
        fail(f"--format {fmt!r} is not one of table, markdown, json")
    store, the_plan = _load_plan()
    if fmt == "markdown":
        print(plan_markdown(the_plan, store.project, store.environment))
    elif fmt == "json":
        console.print_json(json.dumps(plan_json(the_plan, store.project, store.environment)))
    else:
        _print_plan(the_plan)
        print_lint_report(the_plan.lint, quiet_when_clean=True, compact=True)
    if exit_code and the_plan.has_changes:
        raise typer.Exit(2)


def apply(
    skip_lint: Annotated[bool, typer.Option("--skip-lint", help="Apply even when lint finds errors.")] = False,
) -> None:
    """Register the repo's definitions as a new registry version."""
    from featurevault._ops.repo import load_repo

    from featurevault._cli.quality_commands import print_lint_report

    store = open_store_for_change()
    try:
        result = store.apply(load_repo(store.repo_path), skip_lint=skip_lint)
    except LintError as exc:
        if exc.report is not None:
            print_lint_report(exc.report)
        raise
    _print_plan(result.plan)
    print_lint_report(result.plan.lint, quiet_when_clean=True, compact=True)
    if result.committed and result.plan.lint.errors:
        console.print(f"Lint errors overridden with --skip-lint ({len(result.plan.lint.errors)})", style="yellow")
    if result.committed:
        console.print(
            styled("Applied registry version ", (str(result.version), "bold"), f" of project {store.project}")
        )


def _print_plan(the_plan: Any) -> None:
    for view, seconds in the_plan.retention.items():
        console.print(
            f"offline retention: {view} keeps {seconds / 86400:g} days (applied by offline vacuum)", highlight=False
        )
    if not the_plan.has_changes:
        console.print(f"No changes (registry version {the_plan.base_version}).")
        return
    colours = {"add": "green", "update": "yellow", "remove": "red"}
    for change in the_plan.changes:
        console.print(str(change), style=colours[change.action], highlight=False)
    console.print(the_plan.summary())


def _parse_time(value: str, label: str) -> datetime:
    if value == "now":
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{label} {value!r} is not an ISO 8601 time such as 2024-01-15T00:00:00 (or 'now')")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _progress() -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=console.get(),  # type: ignore[attr-defined]
        transient=False,
    )


def _run_materialize(call: Any) -> None:
    with _progress() as progress:
        tasks: dict[str, Any] = {}

        def on_progress(view: str, rows_done: int, rows_total: int | None) -> None:
            if view not in tasks:
                tasks[view] = progress.add_task(view, total=rows_total)
            progress.update(tasks[view], completed=rows_done, total=rows_total)

        result = call(on_progress)
    for line in result.lines():
        console.print(line, highlight=False)


def materialize(
    start: Annotated[str, typer.Argument(help="Window start (ISO 8601).")],
    end: Annotated[str, typer.Argument(help="Window end (ISO 8601, or 'now').")],
    views: Annotated[list[str] | None, typer.Option("--views", "-v", help="Only these feature views.")] = None,
) -> None:
    """Load the latest value per entity in [START, END] into the online store."""
    store = open_store_for_change()
    start_t, end_t = _parse_time(start, "START"), _parse_time(end, "END")
    _run_materialize(lambda cb: store.materialize(start_t, end_t, views, progress=cb))


def materialize_incremental(
    end: Annotated[str, typer.Argument(help="Window end (ISO 8601, or 'now').")],
    views: Annotated[list[str] | None, typer.Option("--views", "-v", help="Only these feature views.")] = None,
) -> None:
    """Materialize each view from its last watermark up to END."""
    store = open_store_for_change()
    end_t = _parse_time(end, "END")
    _run_materialize(lambda cb: store.materialize_incremental(end_t, views, progress=cb))


def get_online_features(
    features: Annotated[list[str] | None, typer.Option("--features", "-f", help="view:feature (repeatable).")] = None,
    entities: Annotated[list[str], typer.Option("--entity", "-e", help="join_key=value (repeatable).")] = [],  # noqa: B006
    feature_service: Annotated[str | None, typer.Option("--feature-service", "-s")] = None,
    full_feature_names: Annotated[bool, typer.Option("--full-feature-names")] = False,
) -> None:
    """Read features for one or more entities from the online store, as JSON."""
    store = open_store()
    if bool(features) == bool(feature_service):
        fail("give either --features (repeatable) or --feature-service")
    rows: dict[str, list[Any]] = {}
    for item in entities:
        if "=" not in item:
            fail(f"--entity {item!r} must have the form join_key=value")
        key, raw = item.split("=", 1)
        rows.setdefault(key, []).append(_parse_value(raw))
    if not rows:
        fail("give at least one --entity join_key=value")
    # The read itself is authorized (READ_ONLINE on the service) and audited; looking the service up is part of it.
    wanted = _service(store, feature_service) if feature_service else list(features or [])
    response = store.get_online_features(wanted, rows, full_feature_names=full_feature_names)
    console.print_json(json.dumps(response.to_dict(), default=str))


def _service(store: Any, name: str) -> Any:
    services = store.registry.contents().feature_services
    if name not in services:
        fail(f"no feature service named {name!r} (known: {', '.join(sorted(services)) or 'none'})")
    return services[name]


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def registry_dump() -> None:
    """Print the project's current registry version as JSON."""
    from featurevault._model import AuthzedAction

    store = open_store()
    with store.guarded(AuthzedAction.DESCRIBE, operation="registry.dump"):
        version, contents = store.registry.versioned_contents()
    dumped = contents.to_dict()
    for views in (dumped.get("on_demand_feature_view", {}),):
        for view in views.values():
            view.pop("udf_pickle", None)
    console.print_json(json.dumps({"project": store.project, "version": version, **dumped}))


def registry_history(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most this many versions.")] = 20,
) -> None:
    """List the project's registry versions, newest first."""
    store = open_store()
    table = new_table("version", "created (UTC)", "author", "os user", "summary")
    for info in store.registry_history(limit):
        summary = info.message
        if info.meta.get("skip_lint"):
            summary += f" (lint skipped: {info.meta.get('lint_errors', 0)} error(s))"
        created = info.created_at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(info.version), created, info.author, info.meta.get("os_user", ""), summary)
    console.print(table)


def teardown(yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False) -> None:
    """Remove the project's online data and registry entries."""
    if not yes and not sys.stdin.isatty():
        usage_error("teardown asks for confirmation and there is no terminal to ask on", "Pass --yes to confirm.")
    store = open_store_for_change()
    if not yes and not typer.confirm(f"Remove all online data and registry entries of project {store.project}?"):
        raise typer.Abort()
    store.teardown()
    console.print(f"Project {store.project} torn down.")


def version() -> None:
    """Print the featurevault version."""
    from featurevault import __version__

    console.print(f"featurevault {__version__}")


def _object_group(group: str, list_method: str, get_method: str) -> typer.Typer:
    sub = typer.Typer(help=f"List or describe {group.replace('-', ' ')}.", no_args_is_help=True)

    @sub.command("list")
    def list_objects() -> None:
        objects = getattr(open_store(), list_method)()
        table = new_table("description", "owner", "tags")
        from rich.table import Column

        table.columns.insert(0, Column("name", no_wrap=True))
        for obj in sorted(objects, key=lambda o: o.name):
            table.add_row(obj.name, obj.description, obj.owner, json.dumps(obj.tags) if obj.tags else "")
        console.print(table)

    @sub.command("describe")
    def describe(name: Annotated[str, typer.Argument(help="Object name.")]) -> None:
        data = getattr(open_store(), get_method)(name).to_dict()
        data.pop("udf_pickle", None)
        console.print_json(json.dumps(data, default=str))

    return sub


__all__ = ["register"]
