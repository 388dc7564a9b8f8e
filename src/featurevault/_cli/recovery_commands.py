"""Operations commands: ``backup create|list|verify|restore|prune``, ``online rebuild``, ``dr drill|status``,
``offline compact|vacuum``, ``capacity`` and ``forget``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated, Any

import typer
from featurevault._cli.common import new_table as Table  # rich's Table, imported on first use

from featurevault._cli.common import console, fail, open_store

backup_app = typer.Typer(help="Backups of the registry and the online store.", no_args_is_help=True)
online_app = typer.Typer(help="The online store: rebuild from the offline store.", no_args_is_help=True)
dr_app = typer.Typer(help="Disaster recovery: the drill and its last result.", no_args_is_help=True)
offline_app = typer.Typer(help="Offline data: compaction, vacuum and retention.", no_args_is_help=True)


class Format(str, Enum):
    table = "table"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]
TargetOption = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="Backup directory or URI, e.g. s3://bucket/prefix (default: backup.target; S3 endpoint: backup.s3_endpoint_override).",
    ),
]


def register(app: typer.Typer) -> None:
    backup_app.command("create")(backup_create)
    backup_app.command("list")(backup_list)
    backup_app.command("verify")(backup_verify)
    backup_app.command("restore")(backup_restore)
    backup_app.command("prune")(backup_prune)
    online_app.command("rebuild")(online_rebuild)
    dr_app.command("drill")(dr_drill)
    dr_app.command("status")(dr_status)
    app.add_typer(backup_app, name="backup")
    app.add_typer(online_app, name="online")
    app.add_typer(dr_app, name="dr")
    offline_app.command("compact")(offline_compact)
    offline_app.command("vacuum")(offline_vacuum)
    app.add_typer(offline_app, name="offline")
    app.command("capacity")(capacity)
    app.command("forget")(forget)


def _emit(output: Format, data: Any, render: Any) -> None:
    if output is Format.json:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        render()


def _pairs(title: str, data: dict[str, Any]) -> None:
    table = Table(title=title, show_header=False)
    for key, value in data.items():
        table.add_row(str(key), json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value))
    console.print(table)


# -- backups --------------------------------------------------------------------------------------


def backup_create(
    to: TargetOption = None,
    include: Annotated[str | None, typer.Option("--include", help="registry,online (default: backup.include).")] = None,
    keep_last: Annotated[int | None, typer.Option("--keep-last", min=1, help="Then keep only the newest N.")] = None,
    keep_days: Annotated[float | None, typer.Option("--keep-days", min=0, help="Then drop backups older.")] = None,
    output: FormatOption = Format.table,
) -> None:
    """Back up the registry and the online store, with a signed manifest of checksums."""
    store = open_store()
    parts = [p.strip() for p in include.split(",")] if include else None
    result = store.backup(parts, target=to)
    data = result.to_dict()
    if keep_last is not None or keep_days is not None:
        data["retention"] = store.recovery(to).prune(keep_last, keep_days).to_dict()
    _emit(output, data, lambda: _pairs(f"backup {result.manifest.backup_id}", data))


def backup_list(to: TargetOption = None, output: FormatOption = Format.table) -> None:
    """Complete backups at the target, newest first."""
    backups = [m.summary() for m in open_store().list_backups(target=to)]

    def render() -> None:
        table = Table(title="backups")
        for column in ("backup_id", "created_at", "include", "registry_version", "records", "bytes", "signed"):
            table.add_column(column)
        for b in backups:
            table.add_row(
                b["backup_id"],
                b["created_at"],
                ",".join(b["include"]),
                str(b["registry_version"]),
                str(b["records"]),
                str(b["bytes"]),
                "yes" if b["signed"] else "no",
            )
        console.print(table)

    _emit(output, backups, render)


def backup_verify(
    backup_id: Annotated[str, typer.Argument(help="The backup id (see backup list).")],
    to: TargetOption = None,
    output: FormatOption = Format.table,
) -> None:
    """Check every file's SHA-256 and the manifest's signature; exit 1 when anything is off."""
    result = open_store().verify_backup(backup_id, target=to)
    _emit(output, result.to_dict(), lambda: _pairs(f"verify {backup_id}", result.to_dict()))
    if not result.ok:
        raise typer.Exit(1)


class Only(str, Enum):
    registry = "registry"
    online = "online"


def backup_restore(
    backup_id: Annotated[str, typer.Argument(help="The backup id (see backup list).")],
    only: Annotated[Only | None, typer.Option("--only", help="Restore only this part.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty registry or online store.")] = False,
    to: TargetOption = None,
    output: FormatOption = Format.table,
) -> None:
    """Restore a verified backup (rerun it to finish an interrupted restore)."""
    result = open_store().restore_backup(backup_id, only=only.value if only else None, force=force, target=to)
    _emit(output, result.to_dict(), lambda: _pairs(f"restored {backup_id}", result.to_dict()))


def backup_prune(
    keep_last: Annotated[int | None, typer.Option("--keep-last", min=1)] = None,
    keep_days: Annotated[float | None, typer.Option("--keep-days", min=0)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be removed.")] = False,
    to: TargetOption = None,
    output: FormatOption = Format.table,
) -> None:
    """Remove backups outside the retention (defaults: backup.keep_last / backup.keep_days)."""
    result = open_store().recovery(to).prune(keep_last, keep_days, dry_run=dry_run)
    _emit(output, result.to_dict(), lambda: _pairs("retention", result.to_dict()))


# -- rebuild, drill -------------------------------------------------------------------------------


def online_rebuild(
    views: Annotated[list[str] | None, typer.Argument(help="Feature views (default: every online view).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Rebuild from this time (ISO 8601).")] = None,
    output: FormatOption = Format.table,
) -> None:
    """Rebuild online tables from the offline store into fresh tables, swapped in atomically."""
    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not an ISO 8601 time such as 2024-01-15T00:00:00")
        start = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    result = open_store().rebuild_online(views or None, start)

    def render() -> None:
        for view in result.views:
            console.print(f"rebuilt {view['view']}: {view['rows']} rows in {view['seconds']}s", highlight=False)

    _emit(output, result.to_dict(), render)


def dr_drill(
    backup_id: Annotated[
        str | None, typer.Option("--backup", help="Drill on this backup (default: the latest).")
    ] = None,
    sample: Annotated[
        int | None, typer.Option("--sample", min=1, help="Entities to verify (default: dr.sample_size).")
    ] = None,
    to: TargetOption = None,
    output: FormatOption = Format.table,
) -> None:
    """Restore the latest backup into a scratch store, rematerialize, verify a sample; exit 1 on a miss."""
    result = open_store().recovery(to).drill(backup_id, sample)
    _emit(
        output,
        result.to_dict(),
        lambda: _pairs("DR drill " + ("passed" if result.passed else "FAILED"), result.to_dict()),
    )
    if not result.passed:
        raise typer.Exit(1)


def dr_status(output: FormatOption = Format.table) -> None:
    """The recorded last backup, restore, drill and capacity plan."""
    data = open_store().recovery().status()
    _emit(output, data, lambda: _pairs("recovery status", data))


# -- offline data --------------------------------------------------------------------------------

ViewsArgument = Annotated[list[str] | None, typer.Argument(help="Feature views (default: every view).")]


def _maintenance_table(result: Any) -> None:
    from rich.text import Text

    table = Table(title=f"offline {result.operation}" + (" (dry run)" if result.dry_run else ""))
    for column in ("source", "views", "format", "done"):
        table.add_column(column)
    for entry in result.sources:
        done = {k: v for k, v in entry.items() if k not in ("source", "views", "format")}
        cells = (entry["source"], ",".join(entry["views"]), entry["format"], json.dumps(done, default=str))
        table.add_row(*(Text(c) for c in cells))  # literal text: names and JSON are not markup
    console.print(table)
    for reason in result.skipped:
        console.print(f"left alone: {reason}", highlight=False, markup=False)


def offline_compact(
    views: ViewsArgument = None,
    target: Annotated[
        int | None,
        typer.Option(
            "--target-file-size-mb", min=1, max=4096, help="File size to aim at (default: offline_maintenance)."
        ),
    ] = None,
    output: FormatOption = Format.table,
) -> None:
    """Rewrite small offline files into large ones: Delta OPTIMIZE; Parquet atomically (no row lost)."""
    result = open_store().compact_offline(views or None, target)
    _emit(output, result.to_dict(), lambda: _maintenance_table(result))


def offline_vacuum(
    views: ViewsArgument = None,
    retain: Annotated[
        str | None,
        typer.Option(
            "--retain",
            help="Keep files old versions need for this long, e.g. 90d (default: offline_maintenance.vacuum_retain).",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be deleted.")] = False,
    output: FormatOption = Format.table,
) -> None:
    """Delete Delta rows older than each view's retention, then files no version within --retain needs."""
    from featurevault._config import parse_duration

    seconds = None
    if retain is not None:
        try:
            seconds = parse_duration(retain, "--retain")
        except ValueError as exc:
            fail(str(exc), code=2)
    result = open_store().recovery().vacuum_offline(views or None, seconds, dry_run=dry_run)
    _emit(output, result.to_dict(), lambda: _maintenance_table(result))


# -- capacity, forget -----------------------------------------------------------------------------


def capacity(
    entities: Annotated[int | None, typer.Option("--entities", min=1, help="Plan for this many entities.")] = None,
    qps: Annotated[float | None, typer.Option("--qps", min=0, help="Peak online reads per second.")] = None,
    output: FormatOption = Format.table,
) -> None:
    """Estimate online size, offline growth and read headroom per view."""
    plan = open_store().recovery().capacity(entities, qps)

    def render() -> None:
        table = Table(title="capacity plan")
        for column in ("view", "entities", "bytes/record", "online MB", "offline MB/day"):
            table.add_column(column)
        for v in plan.views:
            table.add_row(
                v.view,
                str(v.entities),
                f"{v.record_bytes:.0f}",
                f"{v.online_bytes / 1e6:.1f}",
                "" if v.offline_bytes_per_day is None else f"{v.offline_bytes_per_day / 1e6:.2f}",
            )
        console.print(table)
        console.print(f"reads: {plan.read_rate:.0f}/s measured; headroom {plan.headroom_text}", highlight=False)

    _emit(output, plan.to_dict(), render)


def forget(
    entity: Annotated[list[str], typer.Option("--entity", "-e", help="join_key=value (repeat for composite keys).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be deleted.")] = False,
    output: FormatOption = Format.table,
) -> None:
    """Delete one entity's rows online, in Delta tables and in the quarantine (right to erasure); reports where."""
    from featurevault._cli.repo_commands import _parse_value

    keys: dict[str, Any] = {}
    for item in entity:
        if "=" not in item:
            fail(f"--entity {item!r} must have the form join_key=value", code=2)
        key, raw = item.split("=", 1)
        keys[key] = _parse_value(raw)
    result = open_store().forget(keys, dry_run=dry_run)
    _emit(output, result.to_dict(), lambda: _pairs("forget" + (" (dry run)" if dry_run else ""), result.to_dict()))
