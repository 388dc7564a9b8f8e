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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from tests.integration.security.entry_point_env import REFUSED, EntryPointEnv
from tests.integration.security.governed_repo import NOW, users_frame

from featurevault import Entity, FeatureStore
from featurevault.ops.repo import load_repo

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("entry_points")]

PII = "user_pii_features"
PROJECT = "project:secured"
START, END = (NOW - timedelta(days=1)).isoformat(), NOW.isoformat()


@dataclass(frozen=True)
class Row:
    entry: str  # "sdk:<method>", "cli:<command words>", "http:<METHOD> <path template>"
    call: Callable[[EntryPointEnv, str], Any]
    action: str  # the audit record's action
    resource: str  # one of the audit record's resources
    fresh: bool = False  # run on a repo of its own (the call destroys or rewrites the shared one)


def _pii_rows() -> pd.DataFrame:
    return users_frame()[["user_id", "event_timestamp", "email", "phone", "ssn", "amount"]].head(1)


def _entities() -> pd.DataFrame:
    return pd.DataFrame({"user_id": [1], "event_timestamp": [NOW]})


def _add_entity_file(env: EntryPointEnv) -> None:
    (env.repo / "extra.py").write_text('from featurevault import Entity\nextra = Entity(name="extra", join_keys=["x"])\n')


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


SDK = [
    Row("sdk:apply", lambda e, r: e.sdk(r).apply(Entity(name="extra_sdk", join_keys=["x"])), "UPDATE", "entity:extra_sdk"),
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
    Row("cli:materialize", lambda e, r: e.cli(r, "materialize", START, END, "-v", PII), "MATERIALIZE", f"feature_view:{PII}"),
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
    Row("cli:on-demand-feature-views list", lambda e, r: e.cli(r, "on-demand-feature-views", "list"), "DESCRIBE", PROJECT),
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
    Row("cli:tokens create", lambda e, r: e.cli(r, "tokens", "create", "new-bot", "--roles", "intern"), "UPDATE", PROJECT),
    Row("cli:tokens list", lambda e, r: e.cli(r, "tokens", "list"), "DESCRIBE", PROJECT),
    Row("cli:tokens revoke", lambda e, r: e.cli(r, "tokens", "revoke", "victim"), "UPDATE", PROJECT),
    Row("cli:permissions list", lambda e, r: e.cli(r, "permissions", "list"), "DESCRIBE", PROJECT),
    Row(
        "cli:permissions check",
        lambda e, r: e.cli(r, "permissions", "check", "--action", "READ_ONLINE", "--resource", f"feature_view:{PII}",
                           "--roles", "compliance"),
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
    Row("cli:runbook show", lambda e, r: _with_runbook(e).cli(r, "runbook", "show", "stale_features"), "DESCRIBE", PROJECT),
    Row("cli:audit verify", lambda e, r: e.cli(r, "audit", "verify"), "DESCRIBE", PROJECT),
    Row("cli:audit query", lambda e, r: e.cli(r, "audit", "query", "--json", "--limit", "1"), "DESCRIBE", PROJECT),
]

HTTP = [
    Row(
        "http:POST /get-online-features",
        lambda e, r: e.http(r, "POST", "/get-online-features", _online_body()),
        "READ_ONLINE",
        f"feature_view:{PII}",
    ),
    Row("http:POST /push", lambda e, r: e.http(r, "POST", "/push", _push_body()), "WRITE_ONLINE", "data_source:users_push"),
    Row(
        "http:POST /write-to-online-store",
        lambda e, r: e.http(r, "POST", "/write-to-online-store", _write_body()),
        "WRITE_ONLINE",
        f"feature_view:{PII}",
    ),
    Row("http:GET /feature-services", lambda e, r: e.http(r, "GET", "/feature-services"), "DESCRIBE", PROJECT),
    Row("http:GET /feature-views", lambda e, r: e.http(r, "GET", "/feature-views"), "DESCRIBE", PROJECT),
    Row(
        "http:GET /feature-views/{name}",
        lambda e, r: e.http(r, "GET", f"/feature-views/{PII}"),
        "DESCRIBE",
        f"feature_view:{PII}",
    ),
]

HTTP += [
    Row("http:GET /monitoring/alerts", lambda e, r: e.http(r, "GET", "/monitoring/alerts"), "DESCRIBE", PROJECT),
    Row("http:GET /monitoring/freshness", lambda e, r: e.http(r, "GET", "/monitoring/freshness"), "DESCRIBE", PROJECT),
    Row("http:GET /monitoring/metrics", lambda e, r: e.http(r, "GET", "/monitoring/metrics"), "DESCRIBE", PROJECT),
]

ROWS = SDK + CLI + HTTP

#: public entry points that read and write nothing themselves, and why
EXEMPT = {
    "sdk:as_principal": "returns a view of the store acting as another principal; its calls are guarded",
    "sdk:authenticate": "verifies a credential and returns its principal; reads no data or definitions",
    "sdk:guarded": "the guard itself: authorizes and audits the caller's block",
    "sdk:refresh_registry": "reloads the process's registry cache; returns nothing",
    "sdk:close": "releases connections",
    "sdk:principal": "the caller's own identity",
    "sdk:guard": "the guard object every entry point calls",
    "sdk:registry": "backend handle for library code; whoever runs code in the process holds the backends' "
    "credentials anyway (see docs/security.md, threat model)",
    "sdk:online_store": "backend handle for library code (as registry)",
    "sdk:offline_store": "backend handle for library code (as registry)",
    "cli:init": "scaffolds a new repo from templates: touches no registry or store",
    "cli:version": "prints the package version",
    "cli:lint": "reads the repo's own files and config only (no registry, no data)",
    "cli:readiness": "reads the repo's own files and config only (no registry, no data)",
    "cli:serve": "starts the HTTP server, whose routes are rows of this table",
    "http:GET /health": "liveness: no data",
    "http:GET /ready": "readiness: reports whether the backends answer, no data",
    "http:GET /metrics": "Prometheus counters and latencies, no feature values",
    "http:GET /docs": "the OpenAPI page",
    "http:GET /docs/oauth2-redirect": "part of the OpenAPI page",
    "http:GET /openapi.json": "the OpenAPI schema",
}


# -- introspection ---------------------------------------------------------------------------------


def sdk_entry_points() -> set[str]:
    return {f"sdk:{name}" for name, _ in inspect.getmembers(FeatureStore) if not name.startswith("_")}


def cli_entry_points() -> set[str]:
    from featurevault.cli.main import app

    def walk(command: Any, words: tuple[str, ...]) -> Iterator[str]:
        if hasattr(command, "commands"):  # a group (typer ships its own click classes)
            for name, sub in command.commands.items():
                yield from walk(sub, (*words, name))
        else:
            yield "cli:" + " ".join(words)

    return set(walk(typer.main.get_command(app), ()))


def http_entry_points(store: FeatureStore) -> set[str]:
    from featurevault.server import create_app

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
