"""The guard's audit: one record per call, denials and failures included.

The request path pays for one ``functools.partial`` put on the audit log's
queue: the record itself (clipping, formatting, the time stamp as text) is
built on the audit thread. The entity sample of a read (up to 5 rows of join
keys, PII keys hashed) is taken only when a record is written, so a store
without an audit trail never pays for it.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from featurevault._governance.audit import AuditLog, make_record
from featurevault._governance.context import request_route
from featurevault._governance.principal import Principal

#: entity rows an audit record names
SAMPLE_ROWS = 5


class Auditor:
    """Writes the guard's records to an :class:`AuditLog`."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log

    def record_call(self, call: Any, principal: Principal, outcome: str, error: str | None = None) -> None:
        """The record of one guarded call (``call`` is a :class:`~featurevault._governance.guard.GuardedCall`)."""
        log = self.log
        if not log.enabled:
            return
        if outcome == "denied":
            route = request_route.get()
            if route is not None:
                call.details["route"] = " ".join(route)
        # the fields as one tuple (cheaper to make than keyword arguments); the record is built on the audit thread
        log.record(
            functools.partial(
                _build_record,
                (
                    time.time(),
                    principal.name,
                    principal.roles,
                    call.action.name,
                    call.resources,
                    outcome,
                    call.request_id,
                    call.features,
                    call.entity_count,
                    call.entity_sample,
                    (time.perf_counter() - call.started) * 1000.0,
                    error,
                    call.details or None,
                ),
            )
        )

    def record_event(
        self,
        principal: Principal,
        action: str,
        resource: str,
        outcome: str = "ok",
        details: dict[str, Any] | None = None,
    ) -> None:
        """A record of something the guard did not authorize (token changes, key rotation)."""
        self.log.record(
            make_record(
                principal=principal.name,
                roles=principal.roles,
                action=action,
                resource=[resource],
                outcome=outcome,
                details=details,
            )
        )

    def record_unauthenticated(self, route: str, reason: str, claimed: str | None) -> None:
        """A request refused before anyone was authenticated (HTTP 401); never the credential itself."""
        details = {"route": route, "claimed_principal": claimed} if claimed else {"route": route}
        self.log.record(
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


def _build_record(fields: tuple[Any, ...]) -> dict[str, Any]:
    """The record of :meth:`Auditor.record_call`'s fields, on the audit thread."""
    at, name, roles, action, resources, outcome, request_id, features, count, sample, latency, error, details = fields
    return make_record(
        at=at,
        principal=name,
        roles=roles,
        action=action,
        resource=resources,
        outcome=outcome,
        request_id=request_id,
        features=features,
        entity_count=count,
        entity_sample=sample,
        latency_ms=latency,
        error=error,
        details=details,
    )


def entity_count_and_sample(
    entities: Any, join_keys: list[str], pii_keys: frozenset[str], hash_value: Any
) -> tuple[int | None, list[Any]]:
    """Row count and up to 5 rows of join keys (PII keys hashed with ``hash_value()``'s function)."""
    if entities is None:
        return None, []
    try:
        if type(entities) is list and len(entities) == 1 and type(entities[0]) is dict:  # one entity row
            only = entities[0]
            count, rows = 1, [{k: only[k] for k in join_keys if k in only}]
        elif isinstance(entities, dict):
            count = len(next(iter(entities.values()), []))
            rows = [{k: entities[k][i] for k in join_keys if k in entities} for i in range(min(count, SAMPLE_ROWS))]
        elif hasattr(entities, "columns") and hasattr(entities, "head"):
            count = len(entities)
            rows = entities[[k for k in join_keys if k in entities.columns]].head(SAMPLE_ROWS).to_dict("records")
        elif isinstance(entities, (str, bytes)):
            return None, []
        else:
            count = len(entities)
            rows = [{k: r[k] for k in join_keys if k in r} for r in list(entities[:SAMPLE_ROWS])]
    except Exception:  # a malformed request fails in the reader with a proper error
        return None, []
    if pii_keys:
        hashed = hash_value()
        rows = [{k: (hashed(v) if k in pii_keys else v) for k, v in r.items()} for r in rows]
    return count, rows
