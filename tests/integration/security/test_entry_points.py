"""Every public entry point is guarded: refused without a grant, one audit record when allowed.

The entry points are found by introspection: the public members of ``FeatureStore``, every
command of the CLI (sub-groups included) and every route of the HTTP app. Each must be a row
of ``ROWS`` (or of ``EXEMPT``, with the reason it touches no data), so a new entry point that
nobody added here fails ``test_every_entry_point_is_in_the_table``.

To add one: append a ``Row(entry, call, action, resource)``. ``call(env, role)`` makes the call
as ``role``'s principal (``env.sdk(role)``, ``env.cli(role, *args)``, ``env.http(role, method,
path, body)``); the row passes when "intern" is refused and "platform-admin" leaves exactly one
record with ``action`` and ``resource``. Rows that destroy the repo set ``fresh=True``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from tests.integration.security import rows_delta, rows_lifecycle, rows_monitoring, rows_quality, rows_ui
from tests.integration.security.entry_point_env import REFUSED, EntryPointEnv
from tests.integration.security.entry_row import Row
from tests.integration.security.governed_repo import NOW, users_frame

from featurevault import Entity, FeatureStore
from featurevault._ops.repo import load_repo

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("entry_points")]

PII = "user_pii_features"
PROJECT = "project:secured"
START, END = (NOW - timedelta(days=1)).isoformat(), NOW.isoformat()


def _pii_rows() -> pd.DataFrame:
    return users_frame()[["user_id", "event_timestamp", "email", "phone", "ssn", "amount"]].head(1)


def _entities() -> pd.DataFrame:
    return pd.DataFrame({"user_id": [1], "event_timestamp": [NOW]})


def _add_entity_file(env: EntryPointEnv) -> None:
    (env.repo / "extra.py").write_text(
        'from featurevault import Entity\nextra = Entity(name="extra", join_keys=["x"])\n'
    )


def _with_runbook(env: EntryPointEnv) -> EntryPointEnv:
    (env.repo / "runbooks").mkdir(exist_ok=True)
    (env.repo / "runbooks" / "stale_features.md").write_text("# Stale features\n")
    return env


def _cli_apply(env: EntryPointEnv, role: str) -> Any:
    _add_entity_file(env)
    return env.cli(role, "apply")


def _online_body() -> dict[str, Any]:
    return {"features": [f"{PII}:amount"], "entities": {"user_id": [1]}}


def _push_body() -> dict[str, Any]:
    row = {"user_id": [1], "event_timestamp": [NOW.isoformat()], "email": ["a@b.c"], "phone": ["1"]}
    return {"push_source_name": "users_push", "df": {**row, "ssn": ["x"], "amount": [1.0]}, "to": "online"}


def _write_body() -> dict[str, Any]:
    return {**_push_body(), "feature_view_name": PII, "push_source_name": None}


def _backup_id(env: EntryPointEnv) -> str:
    """A backup of the env's repo, made by the library directly (no audit record of its own)."""
    if not hasattr(env, "backup_id"):
        from featurevault._recovery.backup import create_backup

        env.backup_id = create_backup(env.admin.recovery().context()).manifest.backup_id  # type: ignore[attr-defined]
    return env.backup_id  # type: ignore[attr-defined]


RECOVERY_SDK = [
    Row("sdk:backup", lambda e, r: e.sdk(r).backup(), "DESCRIBE", PROJECT),
    Row("sdk:list_backups", lambda e, r: e.sdk(r).list_backups(), "DESCRIBE", PROJECT),
    Row("sdk:verify_backup", lambda e, r: e.sdk(r).verify_backup(_backup_id(e)), "DESCRIBE", PROJECT),
    Row(
        "sdk:restore_backup",
        lambda e, r: e.sdk(r).restore_backup(_backup_id(e), only="online", force=True),
        "UPDATE",
        PROJECT,
        fresh=True,
    ),
    Row("sdk:rebuild_online", lambda e, r: e.sdk(r).rebuild_online([PII]), "MATERIALIZE", PROJECT),
    Row("sdk:forget", lambda e, r: e.sdk(r).forget({"user_id": 999}, dry_run=True), "DELETE", PROJECT),
]

RECOVERY_CLI = [
    Row("cli:backup create", lambda e, r: e.cli(r, "backup", "create"), "DESCRIBE", PROJECT),
    Row("cli:backup list", lambda e, r: e.cli(r, "backup", "list", "--format", "json"), "DESCRIBE", PROJECT),
    Row("cli:backup verify", lambda e, r: e.cli(r, "backup", "verify", _backup_id(e)), "DESCRIBE", PROJECT),
    Row(
        "cli:backup restore",
        lambda e, r: e.cli(r, "backup", "restore", _backup_id(e), "--only", "online", "--force"),
        "UPDATE",
        PROJECT,
        fresh=True,
    ),
    Row("cli:backup prune", lambda e, r: e.cli(r, "backup", "prune", "--keep-last", "100"), "DELETE", PROJECT),
    Row("cli:online rebuild", lambda e, r: e.cli(r, "online", "rebuild", PII), "MATERIALIZE", PROJECT),
    # on a repo of its own: direct online writes by other rows are not in the offline data the drill checks
    Row(
        "cli:dr drill", lambda e, r: e.cli(r, "dr", "drill", "--backup", _backup_id(e)), "DESCRIBE", PROJECT, fresh=True
    ),
    Row("cli:dr status", lambda e, r: e.cli(r, "dr", "status"), "DESCRIBE", PROJECT),
    Row("cli:capacity", lambda e, r: e.cli(r, "capacity", "--qps", "10"), "DESCRIBE", PROJECT),
    Row("cli:forget", lambda e, r: e.cli(r, "forget", "--entity", "user_id=999", "--dry-run"), "DELETE", PROJECT),
]

RECOVERY_HTTP = [
    Row("http:GET /recovery/backups", lambda e, r: e.http(r, "GET", "/recovery/backups"), "DESCRIBE", PROJECT),
    Row("http:GET /recovery/status", lambda e, r: e.http(r, "GET", "/recovery/status"), "DESCRIBE", PROJECT),
]


def _staging_definitions(env: EntryPointEnv) -> None:
    """Documented definitions applied to the staging environment (its audit sink is off), for promote."""
    from featurevault import FeatureService, FeatureView, Field, FileSource
    from featurevault import Permission, RoleBasedPolicy
    from featurevault._model.permission import ALL_ACTIONS
    from featurevault._quality import between
    from featurevault.types import Int64

    frame = pd.DataFrame({"user_id": [1], "event_timestamp": [NOW], "user_txn_count_7d": [3]})
    frame.to_parquet(env.repo / "data" / "staging_users.parquet")
    user = Entity(name="user", join_keys=["user_id"], description="A card holder", owner="risk@example.com")
    view = FeatureView(
        name="user_txn_daily",
        entities=[user],
        ttl=timedelta(days=30),
        description="Transactions per user",
        owner="risk@example.com",
        tags={"team": "risk"},
        source=FileSource(
            name="staging_users_src", path="data/staging_users.parquet", timestamp_field="event_timestamp"
        ),
        schema=[
            Field(name="user_txn_count_7d", dtype=Int64, description="Transactions over 7 days", null_policy="reject")
        ],
        rules=[between("user_txn_count_7d", 0, 100_000)],
    )
    with FeatureStore(env.repo, env="staging", principal=env.admin.principal) as staging:
        if not staging.registry.registry.latest_version(staging.project):
            # the promoting principal runs the staging gates (validate reads the view) with its own grants
            admin = Permission(
                name="platform-admin", actions=ALL_ACTIONS, policy=RoleBasedPolicy(roles=["platform-admin"])
            )
            staging.apply([user, view, FeatureService(name="fraud_model_v9", features=[view]), admin])


def _promote(env: EntryPointEnv, role: str) -> Any:
    _staging_definitions(env)
    return env.sdk(role).promote("staging")


def _cli_promote(env: EntryPointEnv, role: str) -> Any:
    _staging_definitions(env)
    return env.cli(role, "promote", "--from", "staging", "--to", "prod")


def _with_a_flag(env: EntryPointEnv) -> None:
    """A flag on fraud_model_v2, written to the registry directly (leaving no audit record of its own)."""
    from featurevault._lifecycle.flags import store_flag
    from featurevault._model.flags import FeatureFlag

    target = "feature_service:fraud_model_v2"
    store_flag(env.admin.registry.registry, env.admin.project, FeatureFlag(target, percent=50), target)


def _sdk_flag_remove(env: EntryPointEnv, role: str) -> Any:
    _with_a_flag(env)
    return env.sdk(role).remove_flag("fraud_model_v2")


def _cli_flag_remove(env: EntryPointEnv, role: str) -> Any:
    _with_a_flag(env)
    return env.cli(role, "flag", "remove", "fraud_model_v2")


SDK = [
    Row(
        "sdk:apply",
        lambda e, r: e.sdk(r).apply(Entity(name="extra_sdk", join_keys=["x"])),
        "UPDATE",
        "entity:extra_sdk",
    ),
    Row("sdk:plan", lambda e, r: e.sdk(r).plan(load_repo(e.repo)), "DESCRIBE", PROJECT),
    Row("sdk:teardown", lambda e, r: e.sdk(r).teardown(), "DELETE", PROJECT, fresh=True),
    Row("sdk:get_entity", lambda e, r: e.sdk(r).get_entity("user"), "DESCRIBE", "entity:user"),
    Row("sdk:get_feature_view", lambda e, r: e.sdk(r).get_feature_view(PII), "DESCRIBE", f"feature_view:{PII}"),
    Row(
        "sdk:get_on_demand_feature_view",
        lambda e, r: e.sdk(r).get_on_demand_feature_view("derived"),
        "DESCRIBE",
        "on_demand_feature_view:derived",
    ),
    Row(
        "sdk:get_feature_service",
        lambda e, r: e.sdk(r).get_feature_service("fraud_model_v2"),
        "DESCRIBE",
        "feature_service:fraud_model_v2",
    ),
    Row("sdk:get_data_source", lambda e, r: e.sdk(r).get_data_source("users_src"), "DESCRIBE", "data_source:users_src"),
    Row("sdk:list_entities", lambda e, r: e.sdk(r).list_entities(), "DESCRIBE", PROJECT),
    Row("sdk:list_feature_views", lambda e, r: e.sdk(r).list_feature_views(), "DESCRIBE", PROJECT),
    Row("sdk:list_on_demand_feature_views", lambda e, r: e.sdk(r).list_on_demand_feature_views(), "DESCRIBE", PROJECT),
    Row("sdk:list_feature_services", lambda e, r: e.sdk(r).list_feature_services(), "DESCRIBE", PROJECT),
    Row("sdk:list_data_sources", lambda e, r: e.sdk(r).list_data_sources(), "DESCRIBE", PROJECT),
    Row("sdk:list_permissions", lambda e, r: e.sdk(r).list_permissions(), "DESCRIBE", PROJECT),
    Row("sdk:registry_history", lambda e, r: e.sdk(r).registry_history(5), "DESCRIBE", PROJECT),
    Row("sdk:verify_audit_trail", lambda e, r: e.sdk(r).verify_audit_trail(), "DESCRIBE", PROJECT),
    Row(
        "sdk:get_historical_features",
        lambda e, r: e.sdk(r).get_historical_features(_entities(), [f"{PII}:amount"]).to_df(),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "sdk:get_online_features",
        lambda e, r: e.sdk(r).get_online_features([f"{PII}:amount"], [{"user_id": 1}]),
        "READ_ONLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "sdk:materialize",
        lambda e, r: e.sdk(r).materialize(NOW - timedelta(days=1), NOW, [PII]),
        "MATERIALIZE",
        f"feature_view:{PII}",
    ),
    Row(
        "sdk:materialize_incremental",
        lambda e, r: e.sdk(r).materialize_incremental(NOW, [PII]),
        "MATERIALIZE",
        f"feature_view:{PII}",
    ),
    Row(
        "sdk:write_to_online_store",
        lambda e, r: e.sdk(r).write_to_online_store(PII, _pii_rows()),
        "WRITE_ONLINE",
        f"feature_view:{PII}",
    ),
    Row("sdk:push", lambda e, r: e.sdk(r).push("users_push", _pii_rows()), "WRITE_ONLINE", "data_source:users_push"),
    Row(
        "sdk:write_to_offline_store",
        lambda e, r: e.sdk(r).write_to_offline_store(PII, _pii_rows()),
        "WRITE_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row("sdk:list_all_feature_views", lambda e, r: e.sdk(r).list_all_feature_views(), "DESCRIBE", PROJECT),
    Row("sdk:history", lambda e, r: e.sdk(r).history(5), "DESCRIBE", PROJECT),
    Row("sdk:diff", lambda e, r: e.sdk(r).diff(1), "DESCRIBE", PROJECT),
    Row("sdk:rollback", lambda e, r: e.sdk(r).rollback(1, dry_run=True), "DESCRIBE", PROJECT),
    Row("sdk:list_flags", lambda e, r: e.sdk(r).list_flags(), "DESCRIBE", PROJECT),
    Row(
        "sdk:set_flag",
        lambda e, r: e.sdk(r).set_flag("fraud_model_v2", percent=10),
        "UPDATE",
        "feature_service:fraud_model_v2",
    ),
    Row("sdk:remove_flag", _sdk_flag_remove, "UPDATE", "feature_service:fraud_model_v2"),
    Row("sdk:promote", _promote, "PROMOTE", PROJECT, fresh=True),
    Row("sdk:run_schedules", lambda e, r: e.sdk(r).run_schedules(), "MATERIALIZE", f"feature_view:{PII}"),
    Row("sdk:schedule_status", lambda e, r: e.sdk(r).schedule_status(), "DESCRIBE", PROJECT),
    Row(
        "sdk:monitor_baseline",
        lambda e, r: e.sdk(r).monitor_baseline(PII, NOW - timedelta(days=30), NOW),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row("sdk:monitor_run", lambda e, r: e.sdk(r).monitor_run(), "READ_OFFLINE", PROJECT),
    Row(
        "sdk:monitor_consistency",
        lambda e, r: e.sdk(r).monitor_consistency(PII, 5),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row("sdk:list_alerts", lambda e, r: e.sdk(r).list_alerts(), "DESCRIBE", PROJECT),
    Row("sdk:view_freshness", lambda e, r: e.sdk(r).view_freshness(), "DESCRIBE", PROJECT),
    Row("sdk:metric_history", lambda e, r: e.sdk(r).metric_history(PII), "DESCRIBE", PROJECT),
    Row("sdk:get_runbook", lambda e, r: _with_runbook(e).sdk(r).get_runbook("stale_features"), "DESCRIBE", PROJECT),
    Row("sdk:export_alert_rules", lambda e, r: e.sdk(r).export_alert_rules(), "DESCRIBE", PROJECT),
]

CLI = [
    Row("cli:plan", lambda e, r: e.cli(r, "plan"), "DESCRIBE", PROJECT),
    Row("cli:apply", _cli_apply, "UPDATE", "entity:extra", fresh=True),
    Row(
        "cli:materialize",
        lambda e, r: e.cli(r, "materialize", START, END, "-v", PII),
        "MATERIALIZE",
        f"feature_view:{PII}",
    ),
    Row(
        "cli:materialize-incremental",
        lambda e, r: e.cli(r, "materialize-incremental", END, "-v", PII),
        "MATERIALIZE",
        f"feature_view:{PII}",
    ),
    Row(
        "cli:get-online-features",
        lambda e, r: e.cli(r, "get-online-features", "-f", f"{PII}:amount", "-e", "user_id=1"),
        "READ_ONLINE",
        f"feature_view:{PII}",
    ),
    Row("cli:registry-dump", lambda e, r: e.cli(r, "registry-dump"), "DESCRIBE", PROJECT),
    Row("cli:registry-history", lambda e, r: e.cli(r, "registry-history"), "DESCRIBE", PROJECT),
    Row("cli:teardown", lambda e, r: e.cli(r, "teardown", "--yes"), "DELETE", PROJECT, fresh=True),
    Row("cli:entities list", lambda e, r: e.cli(r, "entities", "list"), "DESCRIBE", PROJECT),
    Row("cli:entities describe", lambda e, r: e.cli(r, "entities", "describe", "user"), "DESCRIBE", "entity:user"),
    Row("cli:feature-views list", lambda e, r: e.cli(r, "feature-views", "list"), "DESCRIBE", PROJECT),
    Row(
        "cli:feature-views describe",
        lambda e, r: e.cli(r, "feature-views", "describe", PII),
        "DESCRIBE",
        f"feature_view:{PII}",
    ),
    Row(
        "cli:on-demand-feature-views list",
        lambda e, r: e.cli(r, "on-demand-feature-views", "list"),
        "DESCRIBE",
        PROJECT,
    ),
    Row(
        "cli:on-demand-feature-views describe",
        lambda e, r: e.cli(r, "on-demand-feature-views", "describe", "derived"),
        "DESCRIBE",
        "on_demand_feature_view:derived",
    ),
    Row("cli:feature-services list", lambda e, r: e.cli(r, "feature-services", "list"), "DESCRIBE", PROJECT),
    Row(
        "cli:feature-services describe",
        lambda e, r: e.cli(r, "feature-services", "describe", "fraud_model_v2"),
        "DESCRIBE",
        "feature_service:fraud_model_v2",
    ),
    Row("cli:data-sources list", lambda e, r: e.cli(r, "data-sources", "list"), "DESCRIBE", PROJECT),
    Row(
        "cli:data-sources describe",
        lambda e, r: e.cli(r, "data-sources", "describe", "users_src"),
        "DESCRIBE",
        "data_source:users_src",
    ),
    Row(
        "cli:tokens create",
        lambda e, r: e.cli(r, "tokens", "create", "new-bot", "--roles", "intern"),
        "UPDATE",
        PROJECT,
    ),
    Row("cli:tokens list", lambda e, r: e.cli(r, "tokens", "list"), "DESCRIBE", PROJECT),
    Row("cli:tokens revoke", lambda e, r: e.cli(r, "tokens", "revoke", "victim"), "UPDATE", PROJECT),
    Row("cli:permissions list", lambda e, r: e.cli(r, "permissions", "list"), "DESCRIBE", PROJECT),
    Row(
        "cli:permissions check",
        lambda e, r: e.cli(
            r,
            "permissions",
            "check",
            "--action",
            "READ_ONLINE",
            "--resource",
            f"feature_view:{PII}",
            "--roles",
            "compliance",
        ),
        "DESCRIBE",
        PROJECT,
    ),
    Row("cli:permissions matrix", lambda e, r: e.cli(r, "permissions", "matrix"), "DESCRIBE", PROJECT),
    Row("cli:pii report", lambda e, r: e.cli(r, "pii", "report", "--json"), "DESCRIBE", PROJECT),
    Row("cli:keys rotate", lambda e, r: e.cli(r, "keys", "rotate"), "UPDATE", PROJECT),
    Row(
        "cli:monitor baseline",
        lambda e, r: e.cli(r, "monitor", "baseline", PII, "--start", START, "--end", END),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row("cli:monitor run", lambda e, r: e.cli(r, "monitor", "run", "--once"), "READ_OFFLINE", PROJECT),
    Row(
        "cli:monitor consistency",
        lambda e, r: e.cli(r, "monitor", "consistency", PII, "--sample", "5"),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row("cli:monitor export-rules", lambda e, r: e.cli(r, "monitor", "export-rules"), "DESCRIBE", PROJECT),
    Row("cli:alerts", lambda e, r: e.cli(r, "alerts"), "DESCRIBE", PROJECT),
    Row(
        "cli:runbook show",
        lambda e, r: _with_runbook(e).cli(r, "runbook", "show", "stale_features"),
        "DESCRIBE",
        PROJECT,
    ),
    Row("cli:audit verify", lambda e, r: e.cli(r, "audit", "verify"), "DESCRIBE", PROJECT),
    Row("cli:audit query", lambda e, r: e.cli(r, "audit", "query", "--json", "--limit", "1"), "DESCRIBE", PROJECT),
    Row("cli:history", lambda e, r: e.cli(r, "history"), "DESCRIBE", PROJECT),
    Row("cli:diff", lambda e, r: e.cli(r, "diff", "1"), "DESCRIBE", PROJECT),
    Row("cli:rollback", lambda e, r: e.cli(r, "rollback", "1", "--dry-run"), "DESCRIBE", PROJECT),
    Row("cli:promote", _cli_promote, "PROMOTE", PROJECT, fresh=True),
    Row(
        "cli:flag set",
        lambda e, r: e.cli(r, "flag", "set", "fraud_model_v2", "--percent", "20"),
        "UPDATE",
        "feature_service:fraud_model_v2",
    ),
    Row("cli:flag list", lambda e, r: e.cli(r, "flag", "list"), "DESCRIBE", PROJECT),
    Row("cli:flag remove", _cli_flag_remove, "UPDATE", "feature_service:fraud_model_v2"),
    Row("cli:schedule run", lambda e, r: e.cli(r, "schedule", "run"), "MATERIALIZE", f"feature_view:{PII}", fresh=True),
    Row("cli:schedule status", lambda e, r: e.cli(r, "schedule", "status"), "DESCRIBE", PROJECT),
]

HTTP = [
    Row(
        "http:POST /get-online-features",
        lambda e, r: e.http(r, "POST", "/get-online-features", _online_body()),
        "READ_ONLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "http:POST /push",
        lambda e, r: e.http(r, "POST", "/push", _push_body()),
        "WRITE_ONLINE",
        "data_source:users_push",
    ),
    Row(
        "http:POST /write-to-online-store",
        lambda e, r: e.http(r, "POST", "/write-to-online-store", _write_body()),
        "WRITE_ONLINE",
        f"feature_view:{PII}",
    ),
    Row("http:GET /feature-services", lambda e, r: e.http(r, "GET", "/feature-services"), "DESCRIBE", PROJECT),
    Row("http:GET /feature-views", lambda e, r: e.http(r, "GET", "/feature-views"), "DESCRIBE", PROJECT),
    Row("http:GET /flags", lambda e, r: e.http(r, "GET", "/flags"), "DESCRIBE", PROJECT),
    Row("http:GET /history", lambda e, r: e.http(r, "GET", "/history"), "DESCRIBE", PROJECT),
    Row(
        "http:GET /feature-views/{name}",
        lambda e, r: e.http(r, "GET", f"/feature-views/{PII}"),
        "DESCRIBE",
        f"feature_view:{PII}",
    ),
]

# -- data quality ---------------------------------------------------------------------------------


class _Job:
    """A retrieval result to save (built here, so that no retrieval record joins the row's)."""

    feature_columns = ["amount"]

    def to_arrow(self) -> Any:
        import pyarrow as pa

        return pa.Table.from_pandas(_pii_rows(), preserve_index=False)


def _quarantined(env: EntryPointEnv) -> str:
    """A quarantined row of the PII view, stored straight into the quarantine (no audited call)."""
    import uuid

    import pyarrow as pa

    from featurevault._quality.quarantine import QuarantineBatch, entries_of

    rows = pa.Table.from_pandas(_pii_rows(), preserve_index=False).append_column("__fv_rule", pa.array(["r"]))
    batch = QuarantineBatch(PII, "online", "push", uuid.uuid4().hex, "setup", uuid.uuid4().hex)
    (entry,) = entries_of(batch, rows, "__fv_rule")
    env.admin.quarantine.add([entry])
    return entry.id


def _saved(env: EntryPointEnv) -> None:
    from featurevault._quality.saved_dataset import SavedDatasetFileStorage, save_dataset

    admin = env.admin
    save_dataset(
        admin.registry.registry,
        admin.project,
        admin.config.resolve,
        _Job(),
        "ds",
        SavedDatasetFileStorage(path="data/ds.parquet"),
        {},
        True,
    )


def _profiled(env: EntryPointEnv) -> None:
    from featurevault._ops.offline_specs import view_spec
    from featurevault._quality.profile import profile_view, save_profile

    admin = env.admin
    view = admin.registry.contents().feature_views[PII]
    save_profile(
        admin.registry.registry,
        admin.project,
        profile_view(admin.offline_store, view, None, None, spec=view_spec(view)),
    )


def _validated(env: EntryPointEnv) -> None:
    env.admin.registry.registry.set_state(env.admin.project, "validation", "last", {"views": [], "blocked": False})


def _storage() -> Any:
    from featurevault._quality.saved_dataset import SavedDatasetFileStorage

    return SavedDatasetFileStorage(path="data/ds.parquet")


QUALITY = [
    Row("sdk:validate", lambda e, r: e.sdk(r).validate([PII]), "READ_OFFLINE", f"feature_view:{PII}"),
    Row("sdk:profile", lambda e, r: e.sdk(r).profile(PII), "READ_OFFLINE", f"feature_view:{PII}"),
    Row("sdk:get_profile", lambda e, r: (_profiled(e), e.sdk(r).get_profile(PII)), "DESCRIBE", f"feature_view:{PII}"),
    Row("sdk:last_validation", lambda e, r: e.sdk(r).last_validation(), "DESCRIBE", PROJECT),
    Row("sdk:list_quarantined", lambda e, r: e.sdk(r).list_quarantined(PII), "READ_OFFLINE", f"feature_view:{PII}"),
    Row(
        "sdk:get_quarantined",
        lambda e, r: e.sdk(r).get_quarantined(_quarantined(e)),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "sdk:release_quarantined",
        lambda e, r: e.sdk(r).release_quarantined([_quarantined(e)]),
        "WRITE_ONLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "sdk:purge_quarantined",
        lambda e, r: e.sdk(r).purge_quarantined(timedelta(days=30), PII),
        "DELETE",
        f"feature_view:{PII}",
    ),
    Row(
        "sdk:create_saved_dataset",
        lambda e, r: e.sdk(r).create_saved_dataset(from_=_Job(), name="ds", storage=_storage(), allow_overwrite=True),
        "WRITE_OFFLINE",
        PROJECT,
    ),
    Row("sdk:get_saved_dataset", lambda e, r: (_saved(e), e.sdk(r).get_saved_dataset("ds")), "READ_OFFLINE", PROJECT),
    Row("cli:validate", lambda e, r: e.cli(r, "validate", PII), "READ_OFFLINE", f"feature_view:{PII}"),
    Row("cli:profile", lambda e, r: e.cli(r, "profile", PII), "READ_OFFLINE", f"feature_view:{PII}"),
    Row(
        "cli:quarantine list",
        lambda e, r: e.cli(r, "quarantine", "list", "--view", PII),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "cli:quarantine show",
        lambda e, r: e.cli(r, "quarantine", "show", _quarantined(e)),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "cli:quarantine release",
        lambda e, r: e.cli(r, "quarantine", "release", _quarantined(e)),
        "WRITE_ONLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "cli:quarantine purge",
        lambda e, r: e.cli(r, "quarantine", "purge", "--older-than", "30d", "--view", PII),
        "DELETE",
        f"feature_view:{PII}",
    ),
    Row(
        "http:GET /quality/quarantine",
        lambda e, r: e.http(r, "GET", f"/quality/quarantine?view={PII}"),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "http:GET /quality/quarantine/{entry_id}",
        lambda e, r: e.http(r, "GET", f"/quality/quarantine/{_quarantined(e)}"),
        "READ_OFFLINE",
        f"feature_view:{PII}",
    ),
    Row(
        "http:GET /quality/profiles/{view}",
        lambda e, r: (_profiled(e), e.http(r, "GET", f"/quality/profiles/{PII}")),
        "DESCRIBE",
        f"feature_view:{PII}",
    ),
    Row(
        "http:GET /quality/validation",
        lambda e, r: (_validated(e), e.http(r, "GET", "/quality/validation")),
        "DESCRIBE",
        PROJECT,
    ),
]


def _page(env: EntryPointEnv, role: str, path: str) -> str:
    """A dashboard page (HTML) as ``role``: Refused on 403, else it must render."""
    from tests.integration.security.entry_point_env import Refused

    response = env.client.get(path, headers={"Authorization": f"Bearer {env.tokens[role]}"})
    if response.status_code == 403:
        raise Refused(response.text)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.text


UI = [
    Row("http:GET /ui/api/overview", lambda e, r: e.http(r, "GET", "/ui/api/overview"), "DESCRIBE", PROJECT),
    Row(
        "http:GET /ui/api/objects/{kind}",
        lambda e, r: e.http(r, "GET", "/ui/api/objects/feature-views"),
        "DESCRIBE",
        PROJECT,
    ),
    Row(
        "http:GET /ui/api/objects/{kind}/{name}",
        lambda e, r: e.http(r, "GET", f"/ui/api/objects/feature-views/{PII}"),
        "DESCRIBE",
        f"feature_view:{PII}",
    ),
    Row("http:GET /ui/api/history", lambda e, r: e.http(r, "GET", "/ui/api/history"), "DESCRIBE", PROJECT),
    Row(
        "http:GET /ui/api/history/diff",
        lambda e, r: e.http(r, "GET", "/ui/api/history/diff?old=1&new=1"),
        "DESCRIBE",
        PROJECT,
    ),
    Row("http:GET /ui/history", lambda e, r: _page(e, r, "/ui/history"), "DESCRIBE", PROJECT),
    Row("http:GET /ui/api/lineage", lambda e, r: e.http(r, "GET", "/ui/api/lineage"), "DESCRIBE", PROJECT),
    Row("http:GET /ui/lineage", lambda e, r: _page(e, r, "/ui/lineage"), "DESCRIBE", PROJECT),
    Row("http:GET /ui/", lambda e, r: _page(e, r, "/ui/"), "DESCRIBE", PROJECT),
    Row("http:GET /ui/list/{kind}", lambda e, r: _page(e, r, "/ui/list/entities"), "DESCRIBE", PROJECT),
    Row(
        "http:GET /ui/list/{kind}/{name}",
        lambda e, r: _page(e, r, f"/ui/list/feature-views/{PII}"),
        "DESCRIBE",
        f"feature_view:{PII}",
    ),
]


HTTP += [
    Row("http:GET /monitoring/alerts", lambda e, r: e.http(r, "GET", "/monitoring/alerts"), "DESCRIBE", PROJECT),
    Row("http:GET /monitoring/freshness", lambda e, r: e.http(r, "GET", "/monitoring/freshness"), "DESCRIBE", PROJECT),
    Row("http:GET /monitoring/metrics", lambda e, r: e.http(r, "GET", "/monitoring/metrics"), "DESCRIBE", PROJECT),
]

ROWS = SDK + CLI + HTTP + RECOVERY_SDK + RECOVERY_CLI + RECOVERY_HTTP + QUALITY + UI
# each area's later entry points live in a module of its own
ROWS += rows_quality.ROWS + rows_monitoring.ROWS + rows_ui.ROWS + rows_delta.ROWS + rows_lifecycle.ROWS

#: public entry points that read and write nothing themselves, and why
EXEMPT = {
    "sdk:as_principal": "returns a view of the store acting as another principal; its calls are guarded",
    "sdk:authenticate": "verifies a credential and returns its principal; reads no data or definitions",
    "sdk:guarded": "the guard itself: authorizes and audits the caller's block",
    "sdk:refresh_registry": "reloads the process's registry cache; returns nothing",
    "sdk:close": "releases connections",
    "sdk:version": "the package version",
    "sdk:get_project": "the configured project's name, from feature_store.yaml; no registry or data",
    "sdk:list_projects": "the configured project's name, from feature_store.yaml; no registry or data",
    "sdk:environment": "the name of the active environment of the store's own config",
    "sdk:principal": "the caller's own identity",
    "sdk:guard": "the guard object every entry point calls",
    "sdk:registry": "backend handle for library code; whoever runs code in the process holds the backends' "
    "credentials anyway (see docs/security.md, threat model)",
    "sdk:online_store": "backend handle for library code (as registry)",
    "sdk:offline_store": "backend handle for library code (as registry)",
    "sdk:quarantine": "backend handle for library code (as registry); the quarantine rows are rows above",
    "sdk:quality_gate": "builds the rule checker a guarded write passes through; it writes only inside that call",
    "cli:init": "scaffolds a new repo from templates: touches no registry or store",
    "cli:scaffold ci": "writes CI pipelines, tests and a runbook from templates: touches no registry or store",
    "cli:version": "prints the package version",
    "cli:lint": "reads the repo's own files and config only (no registry, no data)",
    "sdk:recovery": "returns the recovery operations object; each of its operations is guarded (see docs/operations.md)",
    "cli:serve": "starts the HTTP server, whose routes are rows of this table",
    "cli:ui": "starts the HTTP server with the dashboard, whose routes are rows of this table",
    "http:GET /health": "liveness: no data",
    "http:GET /ready": "readiness: reports whether the backends answer, no data",
    "http:GET /metrics": "Prometheus counters and latencies, no feature values",
    "http:GET /docs": "the OpenAPI page",
    "http:GET /docs/oauth2-redirect": "part of the OpenAPI page",
    "http:GET /openapi.json": "the OpenAPI schema",
    "http:GET /ui/login": "the dashboard's login form: no data",
    "http:POST /ui/login": "checks the entered token (as every request does) and sets the cookie: no data",
    "http:POST /ui/logout": "clears the dashboard's cookie: no data",
}


# -- introspection ---------------------------------------------------------------------------------


def sdk_entry_points() -> set[str]:
    return {f"sdk:{name}" for name, _ in inspect.getmembers(FeatureStore) if not name.startswith("_")}


def cli_entry_points() -> set[str]:
    from featurevault._cli.main import app

    def walk(command: Any, words: tuple[str, ...]) -> Iterator[str]:
        if hasattr(command, "commands"):  # a group (typer ships its own click classes)
            for name, sub in command.commands.items():
                yield from walk(sub, (*words, name))
        else:
            yield "cli:" + " ".join(words)

    return set(walk(typer.main.get_command(app), ()))


def http_entry_points(store: FeatureStore) -> set[str]:
    from featurevault._server import create_app

    def walk(routes: list[Any], prefix: str) -> Iterator[str]:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI keeps included routers whole
            if included is not None:
                yield from walk(included.routes, prefix + route.include_context.prefix)
                continue
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    yield f"http:{method} {prefix}{route.path}"

    return set(walk(create_app(store).routes, ""))


# -- the tests -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EntryPointEnv]:
    shared = EntryPointEnv(tmp_path_factory.mktemp("entry-points") / "repo")
    yield shared
    shared.close()


@pytest.fixture
def fresh_env(tmp_path: Path) -> Iterator[EntryPointEnv]:
    own = EntryPointEnv(tmp_path / "repo")
    yield own
    own.close()


def test_every_entry_point_is_in_the_table(env: EntryPointEnv) -> None:
    found = sdk_entry_points() | cli_entry_points() | http_entry_points(env.server_store)
    listed = {row.entry for row in ROWS}
    assert len(listed) == len(ROWS), "an entry point has two rows"
    assert not listed & set(EXEMPT), f"both a row and exempt: {sorted(listed & set(EXEMPT))}"
    missing = found - listed - set(EXEMPT)
    assert not missing, f"entry points without a row in ROWS (or a reason in EXEMPT): {sorted(missing)}"
    stale = (listed | set(EXEMPT)) - found
    assert not stale, f"rows for entry points that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("row", ROWS, ids=[row.entry for row in ROWS])
def test_entry_point_is_refused_without_a_grant_and_audited_once(
    row: Row, env: EntryPointEnv, request: pytest.FixtureRequest
) -> None:
    where = request.getfixturevalue("fresh_env") if row.fresh else env
    with where.new_records() as denied_records:
        with pytest.raises(REFUSED):
            row.call(where, "intern")
    assert [r["outcome"] for r in denied_records] == ["denied"], denied_records
    assert denied_records[0]["principal"] == "tok-intern"

    with where.new_records() as records:
        row.call(where, "platform-admin")
    assert len(records) == 1, f"{row.entry} left {len(records)} records: {records}"
    (record,) = records
    assert (record["action"], record["outcome"], record["principal"]) == (row.action, "ok", "tok-platform-admin")
    assert row.resource in record["resource"], record
