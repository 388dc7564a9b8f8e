"""Each part of the guard alone: plan cache, authorizer, auditor, masking, sealing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from featurevault._governance.audit import AuditLog
from featurevault._governance.audit_sinks import FileSink
from featurevault._governance.guard_audit import Auditor, entity_count_and_sample
from featurevault._governance.guard_authz import ALLOWED_CLEAR, Authorizer
from featurevault._governance.guard_masking import MaskedRetrievalJob, OutputMasker
from featurevault._governance.guard_plans import PlanCache
from featurevault._governance.guard_sealing import Sealing, record_form
from featurevault._governance.permissions import permissions_from_access_policies
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction, Permission, RepoContents, RoleBasedPolicy
from featurevault._ops.resolve import resolve_features

A = AuthzedAction
REFS = ["user_pii_features:email", "user_pii_features:ssn", "user_pii_features:amount"]


@pytest.fixture
def governed(contents: RepoContents) -> RepoContents:
    perms = permissions_from_access_policies({"feature_views": {"user_pii_features": {"read": ["ds", "compliance"]}}})
    perms.append(
        Permission(name="pii", types=["feature_view"], actions=[A.READ_PII], policy=RoleBasedPolicy(["compliance"]))
    )
    contents.permissions = {p.name: p for p in perms}
    return contents


class Counting:
    """resolve_features, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return resolve_features(*args, **kwargs)


def test_plan_cache_resolves_once_per_version(governed: RepoContents) -> None:
    resolve = Counting()
    plans = PlanCache(resolve, enforce=True)
    state = plans.state(1, governed)
    assert plans.state(1, governed) is state
    first = plans.read_plan(state, governed, REFS, False)
    assert plans.read_plan(state, governed, list(REFS), False) is first and resolve.calls == 1
    assert first.feature_refs == REFS and first.pii_keys == frozenset({"user_id"})
    assert plans.sealed_features(state, governed, "user_pii_features") == ["email", "phone", "ssn"]
    newer = plans.state(2, governed)
    assert newer is not state and plans.read_plan(newer, governed, REFS, False) is not first
    assert resolve.calls == 2


def test_authorizer_decides_once_per_principal_and_action(governed: RepoContents) -> None:
    plans = PlanCache(resolve_features, enforce=True)
    state = plans.state(1, governed)
    plan = plans.read_plan(state, governed, REFS, False)
    authz = Authorizer("p", enforce=True)
    ds, compliance, intern = Principal("a", roles=["ds"]), Principal("c", roles=["compliance"]), Principal("i")
    masked = authz.read_decision(state, plan, ds, A.READ_ONLINE)
    assert masked.denial is None and masked.strategies == {"email": "hash", "ssn": "redact"}
    assert masked.masked == ("email", "ssn")
    assert authz.read_decision(state, plan, ds, A.READ_ONLINE) is masked  # kept on the plan
    assert authz.read_decision(state, plan, compliance, A.READ_ONLINE).strategies == {}
    refused = authz.read_decision(state, plan, intern, A.READ_ONLINE)
    assert refused.denial is not None and "'i'" in refused.denial and "READ_ONLINE" in refused.denial
    assert Authorizer("p", enforce=False).read_decision(state, plan, intern, A.READ_ONLINE) is ALLOWED_CLEAR


def test_auditor_writes_one_record_per_call(tmp_path: Path) -> None:
    log = AuditLog(FileSink(tmp_path / "audit.jsonl", 10_000_000, 0), flush_interval_ms=5)
    auditor = Auditor(log)

    class Call:
        action, resources, features, request_id = A.READ_ONLINE, ["feature_view:v"], ["v:f"], "r1"
        entity_count, entity_sample, started, details = 1, [{"k": 1}], 0.0, {}

    auditor.record_call(Call(), Principal("u", roles=["x"]), "denied", "no")
    auditor.record_unauthenticated("/get-online-features", "bad token", "mallory")
    log.flush()
    first, second = (json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines())
    assert (first["principal"], first["outcome"], first["error"], first["entity_sample"]) == (
        "u",
        "denied",
        "no",
        [{"k": 1}],
    )
    assert second["action"] == "AUTHENTICATE" and "bad token" in second["error"]
    log.close()


def test_entity_sample_hashes_pii_keys_and_keeps_at_most_five() -> None:
    rows = [{"user_id": i, "other": i} for i in range(8)]
    count, sample = entity_count_and_sample(rows, ["user_id"], frozenset({"user_id"}), lambda: lambda v: f"h{v}")
    assert count == 8 and sample == [{"user_id": f"h{i}"} for i in range(5)]
    assert entity_count_and_sample({"user_id": [1, 2]}, ["user_id"], frozenset(), dict) == (
        2,
        [{"user_id": 1}, {"user_id": 2}],
    )
    assert entity_count_and_sample("SELECT 1", ["user_id"], frozenset(), dict) == (None, [])


def test_output_masker_masks_responses_dicts_and_jobs() -> None:
    masking = OutputMasker(lambda: b"k" * 32)
    out = masking.mask_columns({"email": ["a@x"], "ssn": ["1"], "amount": [1.0]}, {"email": "hash", "ssn": "redact"})
    assert out["email"] == [masking.masker.hash_value("a@x")] and out["ssn"] == [None] and out["amount"] == [1.0]

    class Job:
        def to_arrow(self) -> pa.Table:
            return pa.table({"ssn": ["123-45-6789"], "amount": [1.0]})

    job = masking.mask_job(Job(), {"ssn": "partial"})
    assert isinstance(job, MaskedRetrievalJob) and job.to_arrow().column("ssn").to_pylist() == ["****6789"]
    plain = Job()
    assert masking.mask_job(plain, {}) is plain


def test_sealing_without_and_with_a_key_ring() -> None:
    assert Sealing(None, lambda view: ["ssn"]).sealer("v") is None

    class Ring:
        def data_key(self, view: str, create: bool = False) -> bytes:
            return b"k"

        def encrypt(self, view: str, name: str, values: list[Any], keys: Any) -> list[bytes]:
            return [b"sealed:" + str(v).encode() + k for v, k in zip(values, keys, strict=True)]

        def opener(self, view: str, name: str) -> Any:
            return lambda value, key: value[len(b"sealed:") : -len(key)].decode()

    sealing = Sealing(lambda: Ring(), lambda view: ["ssn"] if view == "v" else [])
    assert sealing.encrypts_at_rest and sealing.sealer("w") is None
    table = sealing.seal_at_rest("v", pa.table({"ssn": ["123"], "amount": [1.0]}), [b"K"])
    assert table.column("ssn").to_pylist() == [b"sealed:123K"] and table.column("amount").to_pylist() == [1.0]
    opener = sealing.decryptor("v", "ssn")
    assert opener is not None and opener(b"sealed:123K", b"K") == "123"
    assert sealing.decryptor("v", "amount") is None
    stamps = pa.chunked_array([pa.array([1_000_000], pa.timestamp("us", tz="UTC"))])
    assert record_form(stamps).to_pylist() == [1_000_000]
