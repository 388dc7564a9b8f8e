"""Security commands: tokens, permissions, the PII report, key rotation, the audit trail.

Each runs inside ``store.guarded``: managing tokens and keys needs UPDATE on the project,
reading permissions, tokens, the PII report or the audit trail needs DESCRIBE on it, and
each call leaves one audit record naming the operation. The first token of a project may
be created without a grant (the bootstrap: nobody could present one before).
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import typer

from featurevault._cli.common import console, err_console, fail, new_table, open_store, styled
from featurevault._model.permission import AuthzedAction

DESCRIBE, UPDATE = AuthzedAction.DESCRIBE, AuthzedAction.UPDATE

tokens_app = typer.Typer(
    help="Bearer tokens for 'auth: {type: token}' (hashes kept in the registry).", no_args_is_help=True
)
permissions_app = typer.Typer(help="Access policies: list, check a request, show the matrix.", no_args_is_help=True)
pii_app = typer.Typer(help="PII fields, their masking and lineage.", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys of PII at rest.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    tokens_app.command("create")(tokens_create)
    tokens_app.command("list")(tokens_list)
    tokens_app.command("revoke")(tokens_revoke)
    permissions_app.command("list")(permissions_list)
    permissions_app.command("check")(permissions_check)
    permissions_app.command("matrix")(permissions_matrix)
    pii_app.command("report")(pii_report)
    keys_app.command("rotate")(keys_rotate)
    audit_app.command("verify")(audit_verify)
    audit_app.command("query")(audit_query)
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(permissions_app, name="permissions")
    app.add_typer(pii_app, name="pii")
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _token_store(store: Any) -> Any:
    from featurevault._governance.auth import TokenStore

    return TokenStore(store.registry.registry, store.project)


# -- tokens -------------------------------------------------------------------------------------


def tokens_create(
    name: Annotated[str, typer.Argument(help="Token name (shown in the audit trail as the principal).")],
    roles: Annotated[str, typer.Option("--roles", help="Comma-separated roles.")] = "",
    groups: Annotated[str, typer.Option("--groups", help="Comma-separated groups.")] = "",
    expires: Annotated[str | None, typer.Option("--expires", help="Lifetime such as 30d, 12h, 2w.")] = None,
) -> None:
    """Create a token and print it once: only its salted hash is stored."""
    from featurevault._governance.auth import parse_duration

    with open_store() as store:
        tokens = _token_store(store)
        first = store.config.auth.type == "token" and tokens.empty()  # nobody could present a token yet
        bootstrap = "no token exists yet: the first one may be created" if first else None
        details = {"token": name, "roles": _split(roles), "expires": expires}
        with store.guarded(UPDATE, operation="tokens.create", details=details, bootstrap=bootstrap):
            token = tokens.create(name, _split(roles), _split(groups), parse_duration(expires) if expires else None)
    console.print(token, highlight=False, soft_wrap=True)
    err_console.print("Store it now: it cannot be shown again.")


def tokens_list() -> None:
    """Tokens with their roles, expiry and state (never the secrets)."""
    with open_store() as store, store.guarded(DESCRIBE, operation="tokens.list"):
        infos = _token_store(store).list()
    table = new_table("name", "roles", "groups", "created", "expires", "state")
    for info in infos:
        status = "revoked" if info.revoked_at else ("active" if info.active else "expired")
        expires = info.expires_at or "never"
        table.add_row(info.name, ",".join(info.roles), ",".join(info.groups), info.created_at, expires, status)
    console.print(table)


def tokens_revoke(name: Annotated[str, typer.Argument(help="Token name.")]) -> None:
    """Revoke a token: requests that present it get 401 from now on."""
    with open_store() as store, store.guarded(UPDATE, operation="tokens.revoke", details={"token": name}):
        _token_store(store).revoke(name)
    console.print(f"Token {name} revoked.")


# -- permissions --------------------------------------------------------------------------------


def permissions_list() -> None:
    """Every Permission in the registry."""
    with open_store() as store:
        perms = store.list_permissions()
    table = new_table("name", "types", "name patterns", "required tags", "actions", "policy")
    for p in perms:
        table.add_row(
            p.name,
            ",".join(p.types) or "all",
            ",".join(p.name_patterns) or "any",
            ",".join(f"{k}={v}" for k, v in p.required_tags.items()) or "-",
            ",".join(a.name for a in p.actions),
            repr(p.policy),
        )
    console.print(table)


def permissions_check(
    action: Annotated[str, typer.Option("--action", help="An action such as READ_ONLINE.")],
    resource: Annotated[str, typer.Option("--resource", help="kind:name, e.g. feature_service:fraud_detection_v2")],
    principal: Annotated[str, typer.Option("--principal", help="Principal name.")] = "someone",
    roles: Annotated[str, typer.Option("--roles", help="Comma-separated roles.")] = "",
    groups: Annotated[str, typer.Option("--groups", help="Comma-separated groups.")] = "",
) -> None:
    """Would PRINCIPAL with ROLES be allowed ACTION on RESOURCE? Exit 0 if allowed, 1 if denied."""
    from featurevault._governance.permissions import Enforcer, Resource
    from featurevault._governance.principal import Principal
    from featurevault._model import AuthzedAction

    with open_store() as store, store.guarded(DESCRIBE, operation="permissions.check"):
        contents = store.registry.contents()
    who = Principal(principal, roles=_split(roles), groups=_split(groups))
    enforcer = Enforcer(contents.permissions.values())
    act = AuthzedAction.parse(action)
    res = Resource.parse(resource, contents)
    granting = enforcer.granting(who, act, res)
    if granting:
        granted_by = ", ".join(p.name for p in granting)
        console.print(styled(("ALLOWED", "green"), f" {principal} {act.name} {res} by {granted_by}"))
        return
    fail(f"DENIED: principal {principal!r} (roles: {', '.join(who.roles) or 'none'}) may not {act.name} on {res}")


def permissions_matrix(
    actions: Annotated[str, typer.Option("--actions", help="Comma-separated actions (default: all).")] = "",
) -> None:
    """Who may do what: resources x actions, each cell the roles/groups allowed."""
    from featurevault._governance.permissions import expand_actions
    from featurevault._governance.reports import permission_matrix

    with open_store() as store, store.guarded(DESCRIBE, operation="permissions.matrix"):
        matrix = permission_matrix(store.registry.contents(), expand_actions(_split(actions)) or None)
    columns = list(next(iter(matrix.values()), {}).keys())
    table = new_table("resource", *columns)
    for resource, cells in matrix.items():
        table.add_row(resource, *(", ".join(cells[c]) or "-" for c in columns))
    console.print(table)


# -- PII ----------------------------------------------------------------------------------------


def pii_report(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every PII field: masking, why it is PII, who may read it clear, the features it flows into."""
    from featurevault._governance.reports import pii_report as build_report

    with open_store() as store, store.guarded(DESCRIBE, operation="pii.report"):
        rows, declassified = build_report(store.registry.contents())
    if as_json:
        console.print_json(json.dumps({"fields": [r.__dict__ for r in rows], "declassified": declassified}))
        return
    table = new_table("feature", "masking", "why", "read clear by", "flows into")
    for r in rows:
        readers = ", ".join(r.clear_readers) or "nobody"
        table.add_row(r.feature, r.masking, r.reason, readers, ", ".join(r.derived_into) or "-")
    console.print(table)
    for feature, sources in declassified.items():
        console.print(f"declassified: {feature} (computed from {', '.join(sources)})")


# -- keys ---------------------------------------------------------------------------------------


def keys_rotate() -> None:
    """Re-wrap every per-view data key under the current master key (data stays readable)."""
    from featurevault._governance.crypto import rotate_master_key

    with open_store() as store, store.guarded(UPDATE, operation="keys.rotate") as call:
        count = rotate_master_key(store)
        call.details["data_keys"] = count
    console.print(f"Re-wrapped {count} data key(s) under the new master key.")


# -- audit --------------------------------------------------------------------------------------


def _sink() -> Any:
    from featurevault._cli.common import state
    from featurevault._config import load_repo_config
    from featurevault._governance.audit_sinks import build_sink
    from featurevault._governance.keys import load_audit_key

    config = load_repo_config(state.repo_path, state.config_file)
    return build_sink(config.audit, config.resolve, key=load_audit_key(config.audit, config.resolve))


class VerifyFormat(str, Enum):
    table = "table"
    json = "json"


def audit_verify(
    output: Annotated[VerifyFormat, typer.Option("--format", help="Output format.")] = VerifyFormat.table,
) -> None:
    """Check the keyed chain and the registry's anchors; report the first bad record and the kind of tampering."""
    with open_store() as store:
        result = store.verify_audit_trail()
    if output is VerifyFormat.json:
        console.print_json(json.dumps(result.to_dict()))
        if not result.ok:
            raise SystemExit(1)
        return
    for warning in result.warnings:
        err_console.print(styled(("warning:", "yellow"), f" {warning}"), highlight=False)
    if not result.ok:
        fail(result.describe())
    console.print(result.describe(), highlight=False)


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    from datetime import UTC

    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def audit_query(
    principal: Annotated[str | None, typer.Option("--principal")] = None,
    action: Annotated[str | None, typer.Option("--action")] = None,
    resource: Annotated[str | None, typer.Option("--resource", help="kind:name (prefix match)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO time, e.g. 2026-01-31T00:00")] = None,
    until: Annotated[str | None, typer.Option("--until", help="ISO time")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (newest).")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Audit records matching every filter given."""
    with open_store() as store, store.guarded(DESCRIBE, operation="audit.query"):
        records = _sink().query(
            principal=principal, action=action, resource=resource, since=_when(since), until=_when(until)
        )
    records = records[-limit:] if limit > 0 else records
    if as_json:
        for record in records:
            console.print_json(json.dumps(record))
        return
    table = new_table("seq", "time", "principal", "action", "resource", "outcome", "rows", "ms")
    for r in records:
        table.add_row(
            str(r.get("seq")),
            str(r.get("time")),
            str(r.get("principal")),
            str(r.get("action")),
            ", ".join(r.get("resource") or []),
            str(r.get("outcome")),
            "" if r.get("entity_count") is None else str(r["entity_count"]),
            "" if r.get("latency_ms") is None else f"{r['latency_ms']:.2f}",
        )
    console.print(table)
