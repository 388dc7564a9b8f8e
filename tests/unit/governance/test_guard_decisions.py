from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from featurevault.errors import PermissionDeniedError
from featurevault._governance.audit import AuditLog
from featurevault._governance.audit_verify import verify_chain
from featurevault._governance.audit_sinks import FileSink
from featurevault._governance.guard import Guard
from featurevault._governance.permissions import Resource, permissions_from_access_policies
from featurevault._governance.principal import ANONYMOUS, Principal
from featurevault._governance.targets import push_actions
from featurevault._model import AuthzedAction, Permission, RepoContents, RoleBasedPolicy
from featurevault._model.permission import READ
from featurevault._ops.resolve import resolve_features

A = AuthzedAction
POLICIES = {
    "feature_views": {
        "user_pii_features": {"read": ["data-scientists", "compliance"], "write": ["data-platform"]},
        "user_public_features": {"read": ["*"]},
        "derived": {"read": ["data-scientists"]},
        "derived_strict": {"read": ["data-scientists"]},
    },
    "feature_services": {"fraud_model_v2": {"read": ["fraud-team"]}},
}


@dataclass
class Column:
    name: str
    values: list[Any]
    dtype: Any = None


class Response:
    """The part of OnlineResponse the guard uses."""

    def __init__(self, columns: list[Column]) -> None:
        self._columns = columns

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self._columns]

    def transform_column(self, name: str, fn: Any, dtype: Any = None) -> None:
        column = next(c for c in self._columns if c.name == name)
        column.values = fn(column.values)
        column.dtype = dtype or column.dtype

    def to_dict(self) -> dict[str, list[Any]]:
        return {c.name: c.values for c in self._columns}


def _guard(tmp_path: Path, contents: RepoContents, principal: Principal, enforce: bool = True) -> Guard:
    log = AuditLog(FileSink(tmp_path / "audit.jsonl", 10_000_000, 0), flush_interval_ms=5)
    return Guard(
        project="p",
        principal=principal,
        enforce=enforce,
        audit=log,
        contents=lambda: (1, contents),
        hash_key=lambda: b"k" * 32,
        resolve_features=resolve_features,
    )


@pytest.fixture
def governed(contents: RepoContents) -> RepoContents:
    perms = permissions_from_access_policies(POLICIES)
    perms.append(
        Permission(
            name="compliance-pii", types=["feature_view"], actions=[A.READ_PII], policy=RoleBasedPolicy(["compliance"])
        )
    )
    contents.permissions = {p.name: p for p in perms}
    return contents


def _records(guard: Guard) -> list[dict]:
    guard.audit.flush()
    return list(guard.audit.sink.read())


def test_masked_for_readers_without_read_pii_clear_with_it(tmp_path: Path, governed: RepoContents) -> None:
    refs = ["user_pii_features:email", "user_pii_features:phone", "user_pii_features:ssn", "user_pii_features:amount"]
    rows = [{"user_id": 1}]
    for role, masked in [("data-scientists", True), ("compliance", False)]:
        guard = _guard(tmp_path / role, governed, Principal("u", roles=[role]))
        with guard.read(A.READ_ONLINE, 1, governed, refs, rows) as call:
            response = call.mask_online(
                Response(
                    [
                        Column("user_id", [1]),
                        Column("email", ["a@x.io"]),
                        Column("phone", ["555-123-4567"]),
                        Column("ssn", ["123-45-6789"]),
                        Column("amount", [3.5]),
                    ]
                )
            )
        out = response.to_dict()
        if masked:
            assert out["email"][0] == guard.masker.hash_value("a@x.io")
            assert out["phone"] == ["****4567"] and out["ssn"] == [None] and out["amount"] == [3.5]
        else:
            assert out["email"] == ["a@x.io"] and out["ssn"] == ["123-45-6789"]
        (record,) = _records(guard)
        assert record["outcome"] == "ok" and record["entity_count"] == 1
        # the entity is PII: its keys are hashed in the audit sample
        assert record["entity_sample"] == [{"user_id": guard.masker.hash_value(1)}]


def test_lineage_masks_derived_features_except_declassified(tmp_path: Path, governed: RepoContents) -> None:
    guard = _guard(tmp_path, governed, Principal("d", roles=["data-scientists"]))
    refs = ["derived:amount_x2", "derived:email_domain"]
    call = guard.authorize_read(A.READ_ONLINE, 1, governed, refs, [{"user_id": 1}])
    assert call.strategies == {"email_domain": "redact"}
    call = guard.authorize_read(A.READ_OFFLINE, 1, governed, ["derived_strict:amount_x2"], None)
    assert call.strategies == {"amount_x2": "redact"}


def test_denial_is_raised_named_and_audited(tmp_path: Path, governed: RepoContents) -> None:
    guard = _guard(tmp_path, governed, Principal("eve", roles=["intern"]))
    with pytest.raises(PermissionDeniedError, match="eve.*READ_ONLINE.*feature_view:user_pii_features"):
        with guard.read(A.READ_ONLINE, 1, governed, ["user_pii_features:email"], [{"user_id": 7}]):
            raise AssertionError("the block must not run")
    (record,) = _records(guard)
    assert record["outcome"] == "denied" and record["principal"] == "eve" and "READ_ONLINE" in record["error"]


def test_service_grant_covers_its_views_only_through_it(tmp_path: Path, governed: RepoContents) -> None:
    guard = _guard(tmp_path, governed, Principal("f", roles=["fraud-team"]))
    service = governed.feature_services["fraud_model_v2"]
    call = guard.authorize_read(A.READ_ONLINE, 1, governed, service, [{"user_id": 1}])
    assert call.resources[0] == "feature_service:fraud_model_v2"
    with pytest.raises(PermissionDeniedError):
        guard.authorize_read(A.READ_ONLINE, 1, governed, ["user_pii_features:amount"], [{"user_id": 1}])


def test_public_view_is_readable_by_any_authenticated_principal_only(tmp_path: Path, governed: RepoContents) -> None:
    refs = ["user_public_features:age"]
    _guard(tmp_path / "a", governed, Principal("x", roles=[])).authorize_read(A.READ_ONLINE, 1, governed, refs, None)
    with pytest.raises(PermissionDeniedError):
        _guard(tmp_path / "b", governed, ANONYMOUS).authorize_read(A.READ_ONLINE, 1, governed, refs, None)


def test_no_auth_allows_and_does_not_mask(tmp_path: Path, governed: RepoContents) -> None:
    guard = _guard(tmp_path, governed, ANONYMOUS, enforce=False)
    call = guard.authorize_read(A.READ_ONLINE, 1, governed, ["user_pii_features:ssn"], [{"user_id": 1}])
    assert call.strategies == {}
    with guard.write([A.WRITE_ONLINE], 1, governed, [Resource("feature_view", "x")], rows=3):
        pass
    assert [r["action"] for r in _records(guard)] == ["WRITE_ONLINE"]


def test_writes_check_every_action_and_record_failures(tmp_path: Path, governed: RepoContents) -> None:
    target = [Resource.of(governed.feature_views["user_pii_features"])]
    writer = _guard(tmp_path, governed, Principal("w", roles=["data-platform"]))
    with writer.write(push_actions("online_and_offline"), 1, governed, target, rows=2):
        pass
    with pytest.raises(ValueError):
        with writer.write([A.MATERIALIZE], 1, governed, target):
            raise ValueError("backend exploded")
    reader = writer.with_principal(Principal("r", roles=["data-scientists"]))
    with pytest.raises(PermissionDeniedError, match="WRITE_ONLINE"):
        with reader.write([A.WRITE_ONLINE], 1, governed, target):
            pass
    records = _records(writer)
    assert [(r["principal"], r["outcome"]) for r in records] == [("w", "ok"), ("w", "error"), ("r", "denied")]
    assert records[0]["details"]["actions"] == ["WRITE_ONLINE", "WRITE_OFFLINE"]
    assert verify_chain(records).ok


@dataclass
class _Change:
    kind: str
    name: str
    action: str


def test_apply_bootstrap_then_enforced(tmp_path: Path, contents: RepoContents, governed: RepoContents) -> None:
    empty = RepoContents()
    guard = _guard(tmp_path, empty, Principal("admin", roles=["x"]))
    call = guard.authorize_plan(0, empty, governed, [_Change("permission", "all", "add")])
    assert "bootstrap" in call.details and "derived:amount_x2" in call.details["declassified"]
    with pytest.raises(PermissionDeniedError, match="UPDATE on feature_view:user_pii_features"):
        guard.with_principal(Principal("ds", roles=["data-scientists"])).authorize_plan(
            1, governed, governed, [_Change("feature_view", "user_pii_features", "update")]
        )


def test_masked_retrieval_job(tmp_path: Path, governed: RepoContents) -> None:
    class Job:
        full_feature_names = False

        def to_arrow(self) -> pa.Table:
            return pa.table({"user_id": [1, 2], "ssn": ["1", "2"]})

        def to_df(self) -> pd.DataFrame:
            return self.to_arrow().to_pandas()

    guard = _guard(tmp_path, governed, Principal("d", roles=["data-scientists"]))
    with guard.read(A.READ_OFFLINE, 1, governed, ["user_pii_features:ssn"], pd.DataFrame({"user_id": [1, 2]})) as call:
        job = call.mask_job(Job())
    assert job.to_arrow().column("ssn").null_count == 2
    assert job.to_df()["ssn"].isna().all() and job.full_feature_names is False
    (record,) = _records(guard)
    assert record["entity_count"] == 2 and json.dumps(record).count("ssn") >= 1


def test_read_permission_group_expands() -> None:
    assert Permission(name="r", actions=READ).actions == [A.READ_ONLINE, A.READ_OFFLINE]
