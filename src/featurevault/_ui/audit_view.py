"""The audit trail on the dashboard: filtered, paginated, with the chain's verify status.

Reading it needs READ_AUDIT on the project (DESCRIBE is not enough: the trail says who read
what). The read itself leaves one audit record, as every dashboard request does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from featurevault.errors import FeatureVaultError, RequestError
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction
from featurevault._ui.access import acting

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class AuditFilter:
    principal: str | None = None
    action: str | None = None
    resource: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(cls, **given: str | None) -> AuditFilter:
        """From query parameters; empty ones are absent, times are ISO 8601 (UTC when no zone is given)."""
        values = {k: (v.strip() or None) if isinstance(v, str) else None for k, v in given.items()}
        return cls(
            principal=values.get("principal"),
            action=values.get("action"),
            resource=values.get("resource"),
            since=_when("since", values.get("since")),
            until=_when("until", values.get("until")),
        )

    def to_query(self) -> dict[str, str]:
        out = {k: getattr(self, k) for k in ("principal", "action", "resource")}
        out |= {k: getattr(self, k).isoformat() if getattr(self, k) else None for k in ("since", "until")}
        return {k: v for k, v in out.items() if v}


def _when(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RequestError(
            f"audit filter {name}={text!r:.60} is not an ISO 8601 time (e.g. 2026-01-31T00:00)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def audit_page(
    store: FeatureStore, principal: Principal, where: AuditFilter, page: int = 1, page_size: int = PAGE_SIZE
) -> dict[str, Any]:
    """Page ``page`` (1 = newest) of the records matching ``where``, and whether the chain verifies."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise RequestError(f"audit page {page} of size {page_size}: pages start at 1, sizes are 1..{MAX_PAGE_SIZE}")
    with acting(store, principal).guarded(
        AuthzedAction.READ_AUDIT, operation="ui.audit", details={"filter": where.to_query(), "page": page}
    ):
        audit = store.guard.audit
        if audit.enabled:
            audit.flush()
        records = audit.sink.query(**where.__dict__)
        status = _verify(store)
    total = len(records)
    newest_first = records[::-1]
    start = (page - 1) * page_size
    return {
        "filter": where.to_query(),
        "page": page,
        "page_size": page_size,
        "pages": max(1, -(-total // page_size)),
        "total": total,
        "records": [_row(r) for r in newest_first[start : start + page_size]],
        "verify": status,
        "sink": audit.sink.describe(),
    }


def _verify(store: FeatureStore) -> dict[str, Any]:
    from featurevault._governance.audit_verify import verify_configured_trail

    try:
        result = verify_configured_trail(
            store.config.audit, store.config.resolve, store.registry.registry, store.project
        )
    except FeatureVaultError as exc:
        return {"ok": False, "describe": f"cannot be verified: {exc}", "records": None}
    return {"ok": result.ok, "describe": result.describe(), "records": result.records, "warnings": result.warnings}


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": record.get("seq"),
        "time": record.get("time"),
        "principal": record.get("principal"),
        "roles": record.get("roles") or [],
        "action": record.get("action"),
        "resource": record.get("resource") or [],
        "outcome": record.get("outcome"),
        "error": record.get("error"),
        "operation": (record.get("details") or {}).get("operation"),
        "entity_count": record.get("entity_count"),
        "latency_ms": record.get("latency_ms"),
    }
