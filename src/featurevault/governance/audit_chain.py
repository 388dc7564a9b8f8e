"""The audit trail's hash chain: building records, verifying, querying.

Each record carries ``seq`` (1, 2, ...), ``prev_hash`` (the previous record's
``hash``) and ``hash`` = SHA-256 of its canonical JSON without ``hash``. An
edited record no longer matches its hash; a removed or reordered one breaks
the next record's ``seq``/``prev_hash``. Removing records from the *end* is
only visible by comparing with a copy (or a later record).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
_MAX_TEXT = 512
_MAX_ITEMS = 200


def canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("ascii")).hexdigest()


def seal(records: list[dict[str, Any]], last_seq: int, last_hash: str) -> list[dict[str, Any]]:
    """Number and chain ``records`` after the record (last_seq, last_hash)."""
    sealed = []
    for record in records:
        last_seq += 1
        body = {**record, "seq": last_seq, "prev_hash": last_hash}
        body.pop("hash", None)
        last_hash = record_hash(body)
        sealed.append({**body, "hash": last_hash})
    return sealed


def clip(value: Any) -> Any:
    """Bound what a caller-controlled value can add to a record (names may be 1 MB strings)."""
    if isinstance(value, str):
        value = value.replace("\x00", "\\x00")
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + f"...(+{len(value) - _MAX_TEXT} chars)"
    if isinstance(value, (list, tuple)):
        items = [clip(v) for v in list(value)[:_MAX_ITEMS]]
        if len(value) > _MAX_ITEMS:
            items.append(f"...(+{len(value) - _MAX_ITEMS} more)")
        return items
    if isinstance(value, dict):
        return {clip(str(k)): clip(v) for k, v in list(value.items())[:_MAX_ITEMS]}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return clip(str(value))


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking a chain: ``ok``, or the first bad record and why."""

    ok: bool
    records: int
    bad_index: int | None = None  # 0-based position in the trail
    bad_seq: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.records} records"
        return f"audit trail broken at record #{self.bad_index} (seq {self.bad_seq}): {self.problem}"


def verify_chain(records: Iterable[dict[str, Any]], head: dict[str, Any] | None = None) -> VerifyResult:
    """Walk the trail in stored order and report the first edited, removed or reordered record.

    The first record may follow records rotated away: its ``prev_hash`` is taken on trust.
    ``head`` is the newest (seq, hash) recorded outside the trail (in the registry): the
    trail must reach it with the same hash, or records were cut from its end.
    """
    return _walk(records, head)


def _walk(records: Iterable[dict[str, Any]], head: dict[str, Any] | None) -> VerifyResult:
    prev: dict[str, Any] | None = None
    count = 0
    head_seq = head.get("seq") if head else None
    for index, record in enumerate(records):
        count += 1
        seq = record.get("seq")
        if not isinstance(seq, int) or record.get("hash") != record_hash(record):
            bad_seq = seq if isinstance(seq, int) else None
            return VerifyResult(False, count, index, bad_seq, "record was edited (hash does not match)")
        if prev is not None:
            if seq <= prev["seq"]:
                return VerifyResult(False, count, index, seq, f"records reordered (seq {seq} after seq {prev['seq']})")
            if seq != prev["seq"] + 1:
                missing = f"{prev['seq'] + 1}" + (f"-{seq - 1}" if seq - 1 > prev["seq"] + 1 else "")
                return VerifyResult(False, count, index, seq, f"record(s) seq {missing} removed before this one")
            if record.get("prev_hash") != prev["hash"]:
                problem = "chain broken: prev_hash does not match the previous record"
                return VerifyResult(False, count, index, seq, problem)
        elif seq == 1 and record.get("prev_hash") != GENESIS:
            return VerifyResult(False, count, index, seq, "first record does not start the chain")
        if seq == head_seq and record.get("hash") != head.get("hash"):  # type: ignore[union-attr]
            return VerifyResult(False, count, index, seq, "record differs from the head recorded in the registry")
        prev = record
    last_seq = prev["seq"] if prev is not None else 0
    if isinstance(head_seq, int) and last_seq < head_seq:
        missing = f"{last_seq + 1}" + (f"-{head_seq}" if head_seq > last_seq + 1 else "")
        problem = f"record(s) seq {missing} removed from the end (the registry's head is seq {head_seq})"
        return VerifyResult(False, count, count, head_seq, problem)
    return VerifyResult(True, count)


def matches(
    record: dict[str, Any],
    *,
    principal: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> bool:
    """Whether a record passes a query's filters (exact principal/action, resource prefix)."""
    if principal is not None and record.get("principal") != principal:
        return False
    if action is not None and str(record.get("action", "")).upper() != action.upper():
        return False
    if resource is not None and not any(str(r).startswith(resource) for r in _resources(record)):
        return False
    if since is not None or until is not None:
        when = datetime.fromisoformat(record["time"])
        if since is not None and when < since:
            return False
        if until is not None and when > until:
            return False
    return True


def _resources(record: dict[str, Any]) -> list[str]:
    value = record.get("resource")
    return value if isinstance(value, list) else [value or ""]


def filter_records(records: Iterable[dict[str, Any]], **filters: Any) -> Iterator[dict[str, Any]]:
    return (r for r in records if matches(r, **filters))
