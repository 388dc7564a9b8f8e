"""The guard: the one object the facade calls at every entry point.

It authorizes (default deny once auth is on), records one audit record per
call (denials included) and masks PII for principals without READ_PII. Work
that depends only on the registry version (the enforcer, the PII catalog,
per-request resolution) is cached per version, so the online path pays for a
few dict lookups and one queue put.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from featurevault.errors import PermissionDeniedError
from featurevault.governance.audit import AuditLog, make_record, new_request_id
from featurevault.governance.context import request_principal, request_route
from featurevault.governance.permissions import Enforcer, Resource, denied, project_resource
from featurevault.governance.pii import Masker, PiiCatalog, build_catalog, output_strategies
from featurevault.governance.principal import Principal
from featurevault.model import FeatureService, RepoContents
from featurevault.model.permission import AuthzedAction

logger = logging.getLogger(__name__)
A = AuthzedAction


@dataclass
class ReadPlan:
    """What a read touches, derived once per (registry version, request shape)."""

    service: Resource | None
    resources: list[Resource]
    parts: list[tuple[str, list[str], list[str]]]  # (view, features, output names) for PII
    feature_refs: list[str]
    join_keys: list[str]

    @functools.cached_property
    def audited_resources(self) -> tuple[str, ...]:
        """The resources an audit record names: the service first, when there is one."""
        names = tuple(str(r) for r in self.resources)
        return (str(self.service), *names) if self.service is not None else names


@dataclass
class _VersionState:
    version: Any
    enforcer: Enforcer
    catalog: PiiCatalog
    plans: dict[Any, ReadPlan] = field(default_factory=dict)


@dataclass
class GuardedCall:
    """One authorized call: masks its result and is audited when the ``with`` block ends."""

    guard: Guard
    action: AuthzedAction
    resources: list[str]
    features: list[str]
    entity_count: int | None
    entity_sample: list[Any]
    strategies: dict[str, str]
    details: dict[str, Any]
    request_id: str
    started: float = field(default_factory=time.perf_counter)

    def mask_online(self, response: Any) -> Any:
        """Mask an OnlineResponse (or a dict of lists) in place of the caller's copy."""
        if not self.strategies:
            return response
        return self.guard.mask_columns(response, self.strategies)

    def mask_job(self, job: Any) -> Any:
        """Wrap a historical RetrievalJob so its results come out masked."""
        return MaskedRetrievalJob(job, self.guard.masker, self.strategies) if self.strategies else job


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
        self._hash_key = hash_key
        self._resolve_features = resolve_features
        #: builds the KeyRing when PII is encrypted at rest (None: values are stored clear)
        self._keyring = keyring
        #: turns a presented credential into a Principal (the HTTP server uses it)
        self.authenticator = authenticator
        self._shared: dict[str, Any] = {"state": None, "masker": None, "keyring": None}

    @property
    def principal(self) -> Principal:
        """The caller: the request's principal when a server set one, else this guard's own."""
        return request_principal.get() or self._principal

    def with_principal(self, principal: Principal) -> Guard:
        other = Guard.__new__(Guard)
        other.__dict__.update(self.__dict__)
        other._principal = principal
        return other

    @contextmanager
    def describe(self, version: Any, contents: RepoContents, resources: list[Resource]) -> Iterator[GuardedCall]:
        """Authorize and audit a registry read (DESCRIBE)."""
        with self.definitions(A.DESCRIBE, version, contents, resources) as call:
            yield call

    # -- cached per registry version ------------------------------------------------------------

    def state(self, version: Any, contents: RepoContents) -> _VersionState:
        current = self._shared["state"]
        if current is None or current.version != version:
            current = _VersionState(
                version,
                Enforcer(contents.permissions.values(), enforce=self.enforce),
                build_catalog(contents),
            )
            self._shared["state"] = current
        return current

    @property
    def masker(self) -> Masker:
        if self._shared["masker"] is None:
            self._shared["masker"] = Masker(self._hash_key())
        return self._shared["masker"]

    # -- PII at rest ----------------------------------------------------------------------------

    @property
    def encrypts_at_rest(self) -> bool:
        return self._keyring is not None

    def _ring(self) -> Any:
        if self._shared["keyring"] is None:
            assert self._keyring is not None
            self._shared["keyring"] = self._keyring()
        return self._shared["keyring"]

    def _sealed_features(self, view: str) -> list[str]:
        version, contents = self._contents()
        state = self.state(version, contents)
        cached = state.plans.get(("sealed", view))
        if cached is None:
            stored = contents.feature_views.get(view)
            kinds = {f.name for f in stored.features} if stored is not None else set()
            cached = [feat for (v, feat) in state.catalog.fields if v == view and feat in kinds]
            state.plans[("sealed", view)] = cached
        return cached

    def sealer(self, view: str) -> Callable[[pa.Table, Sequence[bytes]], pa.Table] | None:
        """A function ``seal(table, entity_keys)`` encrypting the view's PII columns, or None.

        Each value is bound to its row's entity key (the online store's packed key).
        The data key is fetched (or created) here, so the function itself never
        touches the registry and may run on another thread.
        """
        if self._keyring is None:
            return None
        features = self._sealed_features(view)
        if not features:
            return None
        ring = self._ring()
        ring.data_key(view, create=True)

        def seal(table: pa.Table, entity_keys: Sequence[bytes]) -> pa.Table:
            for name in features:
                idx = table.schema.get_field_index(name)
                if idx >= 0:
                    sealed = ring.encrypt(view, name, _record_form(table.column(idx)).to_pylist(), entity_keys)
                    table = table.set_column(idx, name, pa.array(sealed, pa.binary()))
            return table

        return seal

    def seal_at_rest(self, view: str, table: pa.Table, entity_keys: Sequence[bytes]) -> pa.Table:
        """``table`` with the view's PII feature columns encrypted (when ``pii.encrypt_at_rest``)."""
        seal = self.sealer(view)
        return seal(table, entity_keys) if seal is not None else table

    def decryptor(self, view: str, feature: str) -> Callable[[Any, bytes], Any] | None:
        """``open(value, entity_key)`` for a stored feature, or None when nothing there can be encrypted."""
        if self._keyring is None or feature not in self._sealed_features(view):
            return None
        return self._ring().opener(view, feature)

    # -- reads ----------------------------------------------------------------------------------

    @contextmanager
    def read(
        self,
        action: AuthzedAction,
        version: Any,
        contents: RepoContents,
        features: Any,
        entities: Any,
        full_feature_names: bool = False,
    ) -> Iterator[GuardedCall]:
        """Authorize a read (READ_ONLINE or READ_OFFLINE), mask through the call, audit at the end."""
        call = self.authorize_read(action, version, contents, features, entities, full_feature_names)
        # The body of _audited, inlined: this is on every online read, and a nested
        # generator-based context manager costs about a microsecond.
        try:
            yield call
        except BaseException as exc:
            self._record(call, "error", f"{type(exc).__name__}: {exc}")
            raise
        self._record(call, "ok")

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
        state = self.state(version, contents)
        plan = self._read_plan(state, contents, features, full_feature_names)
        count, sample = self._entities(entities, plan.join_keys, state.catalog)
        call = self._call(action, list(plan.audited_resources), plan.feature_refs, count, sample)
        try:
            if isinstance(entities, str):
                self._check_entity_sql(state.enforcer, call, entities)
            state.enforcer.check_read(self.principal, action, plan.service, plan.resources)
        except PermissionDeniedError as exc:
            self._record(call, "denied", str(exc))
            raise
        if self.enforce:
            clear = {
                r.name
                for r in plan.resources
                if state.enforcer.allowed(self.principal, A.READ_PII, r)
                or (plan.service is not None and state.enforcer.allowed(self.principal, A.READ_PII, plan.service))
            }
            call.strategies = output_strategies(state.catalog, plan.parts, clear)
            if call.strategies:
                call.details["masked"] = sorted(call.strategies)
        return call

    def _check_entity_sql(self, enforcer: Enforcer, call: GuardedCall, sql: str) -> None:
        """An entity query is recorded by its SHA-256, and needs QUERY_SQL on the project."""
        call.details["entity_sql_sha256"] = hashlib.sha256(sql.encode("utf-8", "surrogatepass")).hexdigest()
        enforcer.check(self.principal, A.QUERY_SQL, [project_resource(self.project)])

    def _read_plan(self, state: _VersionState, contents: RepoContents, features: Any, full: bool) -> ReadPlan:
        key = (("service", features.name) if isinstance(features, FeatureService) else tuple(features), full)
        plan = state.plans.get(key)
        if plan is None:
            resolved = self._resolve_features(contents, features, full_feature_names=full)
            plan = _make_read_plan(resolved, contents, features)
            if len(state.plans) > 4096:
                state.plans.clear()
            state.plans[key] = plan
        return plan

    def _entities(self, entities: Any, join_keys: list[str], catalog: PiiCatalog) -> tuple[int | None, list[Any]]:
        """Row count and up to 5 entity keys (PII keys hashed)."""
        if entities is None:
            return None, []
        try:
            if isinstance(entities, dict):
                count = len(next(iter(entities.values()), []))
                rows = [{k: entities[k][i] for k in join_keys if k in entities} for i in range(min(count, 5))]
            elif hasattr(entities, "columns") and hasattr(entities, "head"):
                count = len(entities)
                rows = entities[[k for k in join_keys if k in entities.columns]].head(5).to_dict("records")
            elif isinstance(entities, (str, bytes)):
                return None, []
            else:
                count = len(entities)
                rows = [{k: r[k] for k in join_keys if k in r} for r in list(entities[:5])]
        except Exception:  # a malformed request fails in the reader with a proper error
            return None, []
        pii = catalog.pii_join_keys
        if pii & set(join_keys):
            rows = [{k: (self.masker.hash_value(v) if k in pii else v) for k, v in r.items()} for r in rows]
        return count, rows

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
        call = self._call(actions[0], [str(r) for r in resources], [], rows, [], details)
        if len(actions) > 1:
            call.details["actions"] = [a.name for a in actions]
        for action in actions:
            try:
                enforcer.check(self.principal, action, resources)
            except PermissionDeniedError as exc:
                self._record(call, "denied", str(exc))
                raise
        with self._audited(call):
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
        call = self._call(action, [str(r) for r in resources], [], None, [], details)
        if bootstrap and self.enforce:
            call.details["bootstrap"] = bootstrap
        else:
            self._authorize(self.state(version, contents).enforcer, call, resources)
        with self._audited(call):
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
        call = self._call(action, resources, [], None, [], details)
        call.details["changes"] = [f"{c.action} {c.kind}:{c.name}" for c in changes]
        declassified = build_catalog(desired).declassified  # also validates PII tags
        if declassified:
            call.details["declassified"] = {f"{v}:{f}": list(src) for (v, f), src in declassified.items()}
        if self.enforce and not enforcer.permissions:
            call.details["bootstrap"] = "no permissions registered yet: apply allowed"
            return call
        if grant is not None:
            self._authorize(enforcer, call, [grant[1]])
            return call
        for change in changes:
            action = _CHANGE_ACTIONS[change.action]
            contents = current if change.action != "add" else desired
            resource = Resource.parse(f"{change.kind}:{change.name}", contents)
            if not enforcer.allowed(self.principal, action, resource):
                error = denied(self.principal, action, resource)
                self._record(call, "denied", str(error))
                raise error
        return call

    def finish_plan(self, call: GuardedCall, outcome: str, error: str | None = None) -> None:
        self._record(call, outcome, error)

    def record_event(
        self, action: str, resource: str, outcome: str = "ok", details: dict[str, Any] | None = None
    ) -> None:
        """Audit something the guard did not authorize (token changes, key rotation)."""
        self.audit.record(
            make_record(
                principal=self.principal.name,
                roles=self.principal.roles,
                action=action,
                resource=[resource],
                outcome=outcome,
                details=details,
            )
        )

    def record_unauthenticated(self, route: str, reason: str, claimed: str | None) -> None:
        """Audit a request refused before anyone was authenticated (HTTP 401); never the credential itself."""
        details = {"route": route, "claimed_principal": claimed} if claimed else {"route": route}
        self.audit.record(
            make_record(
                principal="anonymous",
                roles=(),
                action="AUTHENTICATE",
                resource=[f"route:{route}"],
                outcome="denied",
                error=reason,
                details=details,
            )
        )

    # -- helpers --------------------------------------------------------------------------------

    def _call(
        self,
        action: AuthzedAction,
        resources: list[str],
        features: list[str],
        count: int | None,
        sample: list[Any],
        details: dict[str, Any] | None = None,
    ) -> GuardedCall:
        return GuardedCall(self, action, resources, features, count, sample, {}, dict(details or {}), new_request_id())

    def _authorize(self, enforcer: Enforcer, call: GuardedCall, resources: list[Resource]) -> None:
        try:
            enforcer.check(self.principal, call.action, resources)
        except PermissionDeniedError as exc:
            self._record(call, "denied", str(exc))
            raise

    @contextmanager
    def _audited(self, call: GuardedCall) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            self._record(call, "error", f"{type(exc).__name__}: {exc}")
            raise
        self._record(call, "ok")

    def _record(self, call: GuardedCall, outcome: str, error: str | None = None) -> None:
        if not self.audit.enabled:
            return
        if outcome == "denied":
            route = request_route.get()
            if route is not None:
                call.details["route"] = " ".join(route)
        # Built on the audit thread: the request path pays for one partial, not for clipping values.
        self.audit.record(
            functools.partial(
                make_record,
                at=time.time(),
                principal=self.principal.name,
                roles=self.principal.roles,
                action=call.action.name,
                resource=call.resources,
                outcome=outcome,
                request_id=call.request_id,
                features=call.features,
                entity_count=call.entity_count,
                entity_sample=call.entity_sample,
                latency_ms=(time.perf_counter() - call.started) * 1000.0,
                error=error,
                details=call.details or None,
            )
        )

    def mask_columns(self, response: Any, strategies: dict[str, str]) -> Any:
        """Mask the named columns of an OnlineResponse (in place) or of a dict of lists (a copy)."""
        masker = self.masker
        if not hasattr(response, "transform_column"):
            return masker.mask_columns(response, strategies)
        from featurevault.types import String

        names = set(response.feature_names)
        for name, strategy in strategies.items():
            if name in names:
                response.transform_column(
                    name,
                    lambda values, s=strategy: masker.mask_list(values, s),
                    None if strategy == "redact" else String,
                )
        return response


_CHANGE_ACTIONS = {"add": A.CREATE, "update": A.UPDATE, "remove": A.DELETE}


def _make_read_plan(resolved: Any, contents: RepoContents, features: Any) -> ReadPlan:
    resources: list[Resource] = []
    parts: list[tuple[str, list[str], list[str]]] = []
    refs: list[str] = []
    for part in resolved.views:
        shown = [(f, o) for f, o in zip(part.features, part.output_names, strict=True) if f not in part.hidden]
        if shown:  # views read only as on-demand inputs are covered by the on-demand view's grant
            resources.append(Resource.of(part.view))
            parts.append((part.view.name, [f for f, _ in shown], [o for _, o in shown]))
            refs += [f"{part.view.name}:{f}" for f, _ in shown]
    for opart in resolved.odfvs:
        resources.append(Resource.of(opart.view))
        parts.append((opart.view.name, list(opart.features), list(opart.output_names)))
        refs += [f"{opart.view.name}:{f}" for f in opart.features]
    service = None
    if resolved.feature_service is not None:
        service = Resource.of(contents.feature_services.get(resolved.feature_service) or features)
    return ReadPlan(service, resources, parts, refs, list(resolved.join_keys))


class MaskedRetrievalJob:
    """A RetrievalJob whose results have PII columns masked; everything else is delegated."""

    def __init__(self, job: Any, masker: Masker, strategies: dict[str, str]) -> None:
        self._job = job
        self._masker = masker
        self._strategies = strategies

    def to_arrow(self, *args: Any, **kwargs: Any) -> pa.Table:
        return self._masker.mask_table(self._job.to_arrow(*args, **kwargs), self._strategies)

    def to_df(self, *args: Any, validation_reference: Any = None, **kwargs: Any) -> Any:
        if validation_reference is not None:  # checked on the values the caller may see
            validation_reference.enforce(self.to_arrow())
        return self._masker.mask_frame(self._job.to_df(*args, **kwargs), self._strategies)

    def to_spark_df(self) -> Any:
        """Refused: masking runs on collected rows, and a Spark DataFrame would carry the raw values."""
        raise PermissionDeniedError(
            f"to_spark_df: column(s) {', '.join(sorted(self._strategies))} are masked for this principal; "
            "use to_df() or to_arrow(), which return them masked"
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)


def _record_form(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Timestamps as the integer microseconds records hold, so that the value sealed is what a reader decodes."""
    kind = column.type
    if pa.types.is_timestamp(kind):
        return column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    if pa.types.is_list(kind) and pa.types.is_timestamp(kind.value_type):
        return column.cast(pa.list_(pa.timestamp("us", tz="UTC"))).cast(pa.list_(pa.int64()))
    return column
