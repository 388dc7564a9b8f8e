"""Policies, PII masking, audit and injection attempts through the in-process SDK."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.integration.security.governed_repo import NOW, users_frame

from featurevault import FeatureStore
from featurevault.errors import (
    AuthenticationError,
    DefinitionError,
    FeatureVaultError,
    PermissionDeniedError,
    SchemaMismatchError,
)
from featurevault._governance.audit_verify import verify_chain
from featurevault._governance.auth import TokenStore
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction


A = AuthzedAction
ROLES = [
    "data-scientists",
    "ml-engineers",
    "compliance",
    "data-platform",
    "data-platform-leads",
    "fraud-team",
    "ml-platform",
    "intern",
]
VIEW_POLICY = {
    "user_pii_features": {
        "read": {"data-scientists", "ml-engineers", "compliance"},
        "write": {"data-platform"},
        "admin": {"data-platform-leads"},
    },
    "user_public_features": {"read": {"*"}, "write": {"data-platform", "ml-engineers"}},
}
SERVICE_READERS = {"fraud-team", "ml-platform"}
VIEW_COLUMNS = {"user_pii_features": ["email", "phone", "ssn", "amount"], "user_public_features": ["age"]}


def _may(view: str, verb: str, role: str) -> bool:
    policy = VIEW_POLICY[view]
    if role in policy.get("admin", set()):
        return True
    allowed = policy.get(verb, set())
    return "*" in allowed or role in allowed


def _expected(role: str, resource: str, action: AuthzedAction) -> bool:
    kind, name = resource.split(":")
    if kind == "feature_service":
        views_ok = _may("user_pii_features", "read", role) and _may("user_public_features", "read", role)
        return role in SERVICE_READERS or views_ok
    verb = "read" if action in (A.READ_ONLINE, A.READ_OFFLINE) else "write"
    return _may(name, verb, role)


def _do(store: FeatureStore, resource: str, action: AuthzedAction) -> None:
    kind, name = resource.split(":")
    feature = {"user_pii_features": "amount", "user_public_features": "age"}.get(name)
    wanted: Any = [f"{name}:{feature}"]
    if kind == "feature_service":  # looked up as the registry holds it: the read is what is checked
        wanted = store.registry.contents().feature_services[name]
    if action is A.READ_ONLINE:
        store.get_online_features(wanted, [{"user_id": 1}]).to_dict()
    elif action is A.READ_OFFLINE:
        entity_df = pd.DataFrame({"user_id": [1], "event_timestamp": [NOW]})
        store.get_historical_features(entity_df, wanted).to_df()
    elif action is A.WRITE_ONLINE:
        columns = VIEW_COLUMNS[name]
        store.write_to_online_store(name, users_frame()[["user_id", "event_timestamp", *columns]].head(1))
    elif action is A.MATERIALIZE:
        store.materialize(NOW - timedelta(days=1), NOW, [name])


CELLS = [
    (resource, action)
    for resource in ["feature_view:user_pii_features", "feature_view:user_public_features"]
    for action in (A.READ_ONLINE, A.READ_OFFLINE, A.WRITE_ONLINE, A.MATERIALIZE)
] + [("feature_service:fraud_model_v2", A.READ_ONLINE), ("feature_service:fraud_model_v2", A.READ_OFFLINE)]


@pytest.mark.parametrize("role", ROLES)
def test_matrix_roles_resources_actions(admin: FeatureStore, role: str) -> None:
    store = admin.as_principal(Principal(f"user-{role}", roles=[role]))
    for resource, action in CELLS:
        expected = _expected(role, resource, action)
        try:
            _do(store, resource, action)
            allowed = True
        except PermissionDeniedError as exc:
            allowed = False
            assert f"user-{role}" in str(exc) and action.name in str(exc)
        assert allowed == expected, (role, resource, action.name)


def _read(store: FeatureStore, refs: list[str]) -> dict[str, list[Any]]:
    return store.get_online_features(refs, [{"user_id": 1}, {"user_id": 2}]).to_dict()


PII_REFS = ["user_pii_features:email", "user_pii_features:phone", "user_pii_features:ssn", "user_pii_features:amount"]


def test_pii_masked_online_without_read_pii(admin: FeatureStore) -> None:
    out = _read(admin.as_principal("ds", roles=["data-scientists"]), PII_REFS)
    hashed = admin.guard.masker.hash_value
    assert out["email"] == [hashed("ann@example.com"), hashed("bob@example.org")]
    assert out["phone"] == ["****1111", "****2222"]
    assert out["ssn"] == [None, None]
    assert out["amount"] == [10.0, 20.0]
    clear = _read(admin.as_principal("c", roles=["compliance"]), PII_REFS)
    assert clear["ssn"] == ["111-11-1111", "222-22-2222"] and clear["email"][0] == "ann@example.com"


def test_pii_masked_in_historical_retrieval(admin: FeatureStore) -> None:
    entity_df = pd.DataFrame({"user_id": [1, 3], "event_timestamp": [NOW, NOW]})
    masked = admin.as_principal("ds", roles=["data-scientists"]).get_historical_features(entity_df, PII_REFS).to_df()
    assert masked["ssn"].isna().all() and list(masked["phone"]) == ["****1111", "****3333"]
    assert list(masked["amount"]) == [10.0, 30.0]
    table = admin.as_principal("ds", roles=["data-scientists"]).get_historical_features(entity_df, PII_REFS).to_arrow()
    assert table.column("ssn").null_count == 2
    clear = admin.as_principal("c", roles=["compliance"]).get_historical_features(entity_df, PII_REFS).to_df()
    assert list(clear["ssn"]) == ["111-11-1111", "333-33-3333"]


def test_pii_lineage_into_on_demand_features(admin: FeatureStore) -> None:
    out = _read(admin.as_principal("ds", roles=["data-scientists"]), ["derived:amount_x2", "derived:email_domain"])
    assert out["amount_x2"] == [20.0, 40.0]  # declassified explicitly
    assert out["email_domain"] == [None, None]  # computed from email: PII
    records = admin.guard.audit.sink.query(action="UPDATE")
    admin.guard.audit.flush()
    records = admin.guard.audit.sink.query(action="UPDATE")
    assert "derived:amount_x2" in records[0]["details"]["declassified"]


def test_audit_completeness_and_chain(admin: FeatureStore) -> None:
    admin.guard.audit.flush()
    before = len(list(admin.guard.audit.sink.read()))
    ds = admin.as_principal("ds", roles=["data-scientists"])
    intern = admin.as_principal("intern", roles=["intern"])
    calls = 0
    for _ in range(7):
        _read(ds, ["user_pii_features:amount"])
        calls += 1
        with pytest.raises(PermissionDeniedError):
            _read(intern, ["user_pii_features:amount"])
        calls += 1
    admin.guard.audit.flush()
    records = list(admin.guard.audit.sink.read())
    new = records[before:]
    assert len(new) == calls
    assert sum(r["outcome"] == "denied" for r in new) == 7
    first = new[0]
    assert first["principal"] == "ds" and first["roles"] == ["data-scientists"] and first["action"] == "READ_ONLINE"
    assert first["resource"] == ["feature_view:user_pii_features"] and first["features"] == ["user_pii_features:amount"]
    assert first["entity_count"] == 2 and first["entity_sample"][0]["user_id"] != 1  # PII entity key hashed
    assert first["latency_ms"] >= 0 and first["time"].endswith("+00:00") and first["request_id"]
    assert verify_chain(records).ok


def test_writes_and_definition_changes_are_audited(admin: FeatureStore) -> None:
    admin.push("users_push", users_frame().head(1))
    admin.write_to_online_store("user_public_features", users_frame()[["user_id", "event_timestamp", "age"]])
    admin.guard.audit.flush()
    actions = [r["action"] for r in admin.guard.audit.sink.read()]
    assert actions[:2] == ["UPDATE", "MATERIALIZE"]  # the fixture's apply and materialize
    assert actions[-2:] == ["WRITE_ONLINE", "WRITE_ONLINE"]


def test_apply_and_teardown_need_grants(admin: FeatureStore, repo: Path) -> None:
    from featurevault._ops.apply import apply_contents
    from featurevault._ops.repo import load_repo

    features = repo / "features.py"
    features.write_text(features.read_text().replace('"pii.masking": "partial"', '"pii.masking": "redact"'))
    ds = admin.as_principal("ds", roles=["data-scientists"])
    with pytest.raises(PermissionDeniedError, match="UPDATE on feature_view:user_pii_features"):
        apply_contents(ds, load_repo(repo))
    # the on-demand view embeds the changed view, so it changes too: its grant is needed as well
    lead = admin.as_principal("lead", roles=["data-platform-leads"])
    with pytest.raises(PermissionDeniedError, match="UPDATE on on_demand_feature_view:derived"):
        apply_contents(lead, load_repo(repo))
    assert apply_contents(admin, load_repo(repo)).committed
    with pytest.raises(PermissionDeniedError, match="DELETE on project:secured"):
        ds.teardown()
    with pytest.raises(PermissionDeniedError, match="DESCRIBE on project:secured"):
        ds.plan(load_repo(repo))


def test_token_env_is_resolved_through_auth_config(
    admin: FeatureStore, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = TokenStore(admin.registry.registry, "secured").create("svc", roles=["compliance"])
    monkeypatch.setenv("FEATUREVAULT_TOKEN", token)
    with FeatureStore(repo_path=repo) as store:
        assert store.principal.name == "svc"
        assert _read(store, ["user_pii_features:ssn"])["ssn"][0] == "111-11-1111"
    monkeypatch.setenv("FEATUREVAULT_TOKEN", token[:-2] + "xx")
    with FeatureStore(repo_path=repo) as store, pytest.raises(AuthenticationError):
        _ = store.principal
    monkeypatch.delenv("FEATUREVAULT_TOKEN")
    with FeatureStore(repo_path=repo) as store, pytest.raises(PermissionDeniedError, match="anonymous"):
        _read(store, ["user_public_features:age"])


INJECTIONS = ["'; DROP TABLE users; --", "../../etc/passwd", "a\x00b", "x" * 1_000_000]


@pytest.mark.parametrize("evil", INJECTIONS, ids=["sql", "path", "nul", "1mb"])
def test_injection_attempts_are_rejected_or_harmless(admin: FeatureStore, evil: str) -> None:
    ds = admin.as_principal("ds", roles=["data-scientists"])
    # as the value of an Int64 join key: refused, and the message shows at most a short prefix of it
    with pytest.raises(SchemaMismatchError, match="join key 'user_id'") as info:
        ds.get_online_features(["user_public_features:age"], [{"user_id": evil}, {"user_id": 1}])
    assert len(str(info.value)) < 300
    assert ds.get_online_features(["user_public_features:age"], [{"user_id": 1}]).to_dict()["age"] == [31]
    # as a feature reference, a principal name, a resource: clear errors, never executed
    with pytest.raises(FeatureVaultError):
        ds.get_online_features([f"{evil}:age"], [{"user_id": 1}])
    with pytest.raises(DefinitionError):
        from featurevault._model import Permission

        Permission(name=evil)
    try:
        odd = admin.as_principal(Principal(evil[:256].replace("\x00", "_"), roles=[evil[:100]]))
        with pytest.raises(PermissionDeniedError):
            _read(odd, ["user_pii_features:amount"])
    except ValueError:
        pass
    admin.guard.audit.flush()
    records = list(admin.guard.audit.sink.read())
    assert verify_chain(records).ok
    assert all(len(str(r)) < 20_000 for r in records)
    # the registry and the data are intact
    assert _read(admin, ["user_public_features:age"])["age"] == [31, 42]


def test_fail_closed_refuses_reads_while_the_audit_sink_is_down(admin: FeatureStore, repo: Path) -> None:
    (repo / "blocker").write_text("a file where the audit directory should be")
    yaml = repo / "closed.yaml"
    yaml.write_text(
        (repo / "feature_store.yaml")
        .read_text()
        .replace(
            "audit:\n    path: data/audit.jsonl\n", "audit:\n    path: blocker/audit.jsonl\n    fail_closed: true\n"
        )
    )
    from featurevault.errors import AuditError

    with FeatureStore(repo_path=repo, fs_yaml_file=yaml, principal=Principal("c", roles=["compliance"])) as store:
        with pytest.raises(AuditError, match="fail_closed"):
            _read(store, ["user_pii_features:ssn"])
        (repo / "blocker").unlink()
        import time

        time.sleep(1.1)  # the sink is re-probed at most once a second
        assert _read(store, ["user_pii_features:ssn"])["ssn"][0] == "111-11-1111"
