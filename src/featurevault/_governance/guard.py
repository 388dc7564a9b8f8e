"""The guard: the one object the facade calls at every entry point.

It composes five parts, each with one job and each testable alone:

* :mod:`~featurevault._governance.guard_plans`: what a read touches, resolved once per
  registry version (with the enforcer and the PII catalog of that version);
* :mod:`~featurevault._governance.guard_authz`: may the principal do it (default deny
  once auth is on), and which PII it sees masked; read decisions are kept on the plan;
* :mod:`~featurevault._governance.guard_audit`: one audit record per call, denials included;
* :mod:`~featurevault._governance.guard_masking`: PII masked in what a read returns;
* :mod:`~featurevault._governance.guard_sealing`: PII encrypted at rest.

A repeated online read costs a version check, two dict lookups (plan, decision)
and one queue put for its audit record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Literal

import pyarrow as pa

from featurevault.errors import PermissionDeniedError, describe_error
from featurevault._governance.audit import AuditLog, new_request_id
from featurevault._governance.context import request_principal
from featurevault._governance.guard_audit import Auditor, entity_count_and_sample
from featurevault._governance.guard_authz import Authorizer
from featurevault._governance.guard_masking import MaskedRetrievalJob, OutputMasker
from featurevault._governance.guard_plans import PlanCache, ReadPlan, VersionState
from featurevault._governance.guard_sealing import Sealing
from featurevault._governance.permissions import Resource
from featurevault._governance.pii import Masker, build_catalog
from featurevault._governance.principal import Principal
from featurevault._model import RepoContents
from featurevault._model.permission import AuthzedAction

A = AuthzedAction
_NO_ENTITIES = object()

__all__ = ["GuardedCall", "Guard", "MaskedRetrievalJob", "ReadPlan"]


class GuardedCall:
    """One authorized call: masks its result and is audited when its ``with`` block ends.

    For reads, the entity count and sample (for the audit record) are taken from the
    request's entity rows only when the record is written.
    """

    __slots__ = (
        "_guard",
        "principal",
        "action",
        "resources",
        "features",
        "strategies",
        "details",
        "started",
        "_count",
        "_sample",
        "_entities",
        "_plan",
        "_request_id",
        "_decision",
    )

    def __init__(
        self,
        guard: Guard,
        principal: Principal,
        action: AuthzedAction,
        resources: list[str],
        features: list[str],
        count: int | None = None,
        details: dict[str, Any] | None = None,
        entities: Any = _NO_ENTITIES,
        plan: ReadPlan | None = None,
    ) -> None:
        self._guard = guard
        self.principal = principal
        self.action = action
        self.resources = resources
        self.features = features
        self.strategies: dict[str, str] = {}
        self.details: dict[str, Any] = dict(details) if details else {}
        self.started = time.perf_counter()
        self._count = count
        self._sample: list[Any] | None = None if entities is not _NO_ENTITIES else []
        self._entities = entities
        self._plan = plan
        self._request_id: str | None = None
        self._decision: Any = None

    @property
    def request_id(self) -> str:
        if self._request_id is None:
            self._request_id = new_request_id()
        return self._request_id

    def _sample_entities(self) -> None:
        plan = self._plan
        keys, pii = (plan.join_keys, plan.pii_keys) if plan is not None else ([], frozenset())
        masking = self._guard._masking
        self._count, self._sample = entity_count_and_sample(self._entities, keys, pii, masking.hash_value)

    @property
    def entity_count(self) -> int | None:
        if self._sample is None:
            self._sample_entities()
        return self._count

    @property
    def entity_sample(self) -> list[Any]:
        if self._sample is None:
            self._sample_entities()
        assert self._sample is not None
        return self._sample

    def mask_online(self, response: Any) -> Any:
        """Mask an OnlineResponse (or a dict of lists) in place of the caller's copy."""
        if not self.strategies:
            return response
        decision = self._decision
        if decision is not None and decision.strategies is self.strategies and hasattr(response, "apply_masks"):
            return self._guard._masking.apply_masks(response, decision.masks)
        return self._guard._masking.mask_columns(response, self.strategies)

    def mask_job(self, job: Any) -> Any:
        """Wrap a historical RetrievalJob so its results come out masked."""
        return self._guard._masking.mask_job(job, self.strategies)

    def record(self, outcome: str, error: str | None = None) -> None:
        self._guard._auditor.record_call(self, self.principal, outcome, error)

    def __enter__(self) -> GuardedCall:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None:
            self.record("ok")
        else:
            self.record("error", describe_error(exc))
        return False


class Guard:
    """Authorize, audit and mask for one principal; ``with_principal`` shares everything else."""

    def __init__(
        self,
        *,
        project: str,
        principal: Principal,
        enforce: bool,
        audit: AuditLog,
        contents: Callable[[], tuple[Any, RepoContents]],
        hash_key: Callable[[], bytes],
        resolve_features: Callable[..., Any],
        authenticator: Any = None,
        keyring: Callable[[], Any] | None = None,
    ) -> None:
        self.project = project
        self._principal = principal
        self.enforce = enforce
        self.audit = audit
        self._contents = contents
        #: turns a presented credential into a Principal (the HTTP server uses it)
        self.authenticator = authenticator
        self._plans = PlanCache(resolve_features, enforce)
        self._authz = Authorizer(project, enforce)
        self._auditor = Auditor(audit)
        self._masking = OutputMasker(hash_key)
        self._sealing = Sealing(keyring, self._sealed_features)

    @property
    def principal(self) -> Principal:
        """The caller: the request's principal when a server set one, else this guard's own."""
        return request_principal.get() or self._principal

    def with_principal(self, principal: Principal) -> Guard:
        other = Guard.__new__(Guard)
        other.__dict__.update(self.__dict__)
        other._principal = principal
        return other

    # -- cached per registry version ------------------------------------------------------------

    def state(self, version: Any, contents: RepoContents) -> VersionState:
        return self._plans.state(version, contents)

    @property
    def masker(self) -> Masker:
        return self._masking.masker

    def mask_columns(self, response: Any, strategies: dict[str, str]) -> Any:
        """Mask the named columns of an OnlineResponse (in place) or of a dict of lists (a copy)."""
        return self._masking.mask_columns(response, strategies)

    # -- PII at rest ----------------------------------------------------------------------------

    @property
    def encrypts_at_rest(self) -> bool:
        return self._sealing.encrypts_at_rest

    def _ring(self) -> Any:
        return self._sealing.ring()

    def _sealed_features(self, view: str) -> list[str]:
        version, contents = self._contents()
        return self._plans.sealed_features(self._plans.state(version, contents), contents, view)

    def sealer(self, view: str) -> Callable[[pa.Table, Sequence[bytes]], pa.Table] | None:
        """A function ``seal(table, entity_keys)`` encrypting the view's PII columns, or None."""
        return self._sealing.sealer(view)

    def seal_at_rest(self, view: str, table: pa.Table, entity_keys: Sequence[bytes]) -> pa.Table:
        """``table`` with the view's PII feature columns encrypted (when ``pii.encrypt_at_rest``)."""
        return self._sealing.seal_at_rest(view, table, entity_keys)

    def decryptor(self, view: str, feature: str) -> Callable[[Any, bytes], Any] | None:
        """``open(value, entity_key)`` for a stored feature, or None when nothing there can be encrypted."""
        return self._sealing.decryptor(view, feature)

    # -- reads ----------------------------------------------------------------------------------

    def read(
        self,
        action: AuthzedAction,
        version: Any,
        contents: RepoContents,
        features: Any,
        entities: Any,
        full_feature_names: bool = False,
    ) -> GuardedCall:
        """Authorize a read (READ_ONLINE or READ_OFFLINE); use as ``with guard.read(...) as call:``.

        The call masks through ``call.mask_online`` / ``call.mask_job`` and is audited when the block ends.
        """
        return self.authorize_read(action, version, contents, features, entities, full_feature_names)

    def authorize_read(
        self,
        action: AuthzedAction,
        version: Any,
        contents: RepoContents,
        features: Any,
        entities: Any,
        full_feature_names: bool = False,
    ) -> GuardedCall:
        """The authorization half of :meth:`read`: raises (and audits) a denial, works out masking."""
        self.audit.ensure_available()
        state = self._plans.state(version, contents)
        plan = self._plans.read_plan(state, contents, features, full_feature_names)
        principal = request_principal.get() or self._principal
        decision = self._authz.read_decision(state, plan, principal, action)
        call = GuardedCall(
            self, principal, action, list(plan.audited_resources), plan.feature_refs, entities=entities, plan=plan
        )
        try:
            if isinstance(entities, str):
                self._authz.check_entity_sql(state.enforcer, principal, entities, call.details)
            if decision.denial is not None:
                raise PermissionDeniedError(decision.denial)
        except PermissionDeniedError as exc:
            call.record("denied", str(exc))
            raise
        if decision.strategies:
            call.strategies = decision.strategies
            call._decision = decision
            call.details["masked"] = list(decision.masked)
        return call

    # -- writes and definitions -----------------------------------------------------------------

    @contextmanager
    def write(
        self,
        actions: list[AuthzedAction],
        version: Any,
        contents: RepoContents,
        resources: list[Resource],
        rows: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> Iterator[GuardedCall]:
        """Authorize and audit a write (WRITE_ONLINE/WRITE_OFFLINE/MATERIALIZE) to ``resources``."""
        self.audit.ensure_available()
        enforcer = self.state(version, contents).enforcer
        call = self._call(actions[0], [str(r) for r in resources], rows, details)
        if len(actions) > 1:
            call.details["actions"] = [a.name for a in actions]
        for action in actions:
            self._authorize(call, partial(self._authz.check, enforcer, call.principal, action, resources))
        with call:
            yield call

    @contextmanager
    def definitions(
        self,
        action: AuthzedAction,
        version: Any,
        contents: RepoContents,
        resources: list[Resource],
        *,
        details: dict[str, Any] | None = None,
        bootstrap: str | None = None,
    ) -> Iterator[GuardedCall]:
        """Authorize and audit a definition or administrative operation (plan, teardown, tokens, ...).

        ``bootstrap`` (a reason) lets the call through without a grant, and the record says why.
        """
        self.audit.ensure_available()
        call = self._call(action, [str(r) for r in resources], None, details)
        if bootstrap and self.enforce:
            call.details["bootstrap"] = bootstrap
        else:
            enforcer = self.state(version, contents).enforcer
            self._authorize(call, lambda: self._authz.check(enforcer, call.principal, action, resources))
        with call:
            yield call

    @contextmanager
    def describe(self, version: Any, contents: RepoContents, resources: list[Resource]) -> Iterator[GuardedCall]:
        """Authorize and audit a registry read (DESCRIBE)."""
        with self.definitions(A.DESCRIBE, version, contents, resources) as call:
            yield call

    def authorize_plan(
        self,
        version: Any,
        current: RepoContents,
        desired: RepoContents,
        changes: list[Any],
        *,
        details: dict[str, Any] | None = None,
        grant: tuple[AuthzedAction, Resource] | None = None,
    ) -> GuardedCall:
        """Check every change of an apply (add=CREATE, update=UPDATE, remove=DELETE) before it commits.

        The *current* registry's permissions decide. While it holds none (the
        first apply of a project), the apply is allowed so that it can install
        them; the audit record says so. ``grant`` (an action and a resource, as
        PROMOTE on the project) replaces the per-change checks: the record names that action.
        """
        self.audit.ensure_available()
        enforcer = self.state(version, current).enforcer
        action = grant[0] if grant else A.UPDATE
        resources = ([str(grant[1])] if grant else []) + [f"{c.kind}:{c.name}" for c in changes]
        call = self._call(action, resources, None, details)
        call.details["changes"] = [f"{c.action} {c.kind}:{c.name}" for c in changes]
        declassified = build_catalog(desired).declassified  # also validates PII tags
        if declassified:
            call.details["declassified"] = {f"{v}:{f}": list(src) for (v, f), src in declassified.items()}
        if self.enforce and not enforcer.permissions:
            call.details["bootstrap"] = "no permissions registered yet: apply allowed"
            return call
        principal = call.principal
        if grant is not None:
            self._authorize(call, lambda: self._authz.check(enforcer, principal, action, [grant[1]]))
            return call
        self._authorize(call, lambda: self._authz.check_changes(enforcer, principal, current, desired, changes))
        return call

    def finish_plan(self, call: GuardedCall, outcome: str, error: str | None = None) -> None:
        call.record(outcome, error)

    def record_event(
        self, action: str, resource: str, outcome: str = "ok", details: dict[str, Any] | None = None
    ) -> None:
        """Audit something the guard did not authorize (token changes, key rotation)."""
        self._auditor.record_event(self.principal, action, resource, outcome, details)

    def record_unauthenticated(self, route: str, reason: str, claimed: str | None) -> None:
        """Audit a request refused before anyone was authenticated (HTTP 401); never the credential itself."""
        self._auditor.record_unauthenticated(route, reason, claimed)

    # -- helpers --------------------------------------------------------------------------------

    def _call(
        self, action: AuthzedAction, resources: list[str], rows: int | None, details: dict[str, Any] | None
    ) -> GuardedCall:
        return GuardedCall(self, self.principal, action, resources, [], rows, details)

    @staticmethod
    def _authorize(call: GuardedCall, check: Callable[[], None]) -> None:
        """Run ``check``; a denial is audited and raised."""
        try:
            check()
        except PermissionDeniedError as exc:
            call.record("denied", str(exc))
            raise
