"""The audit trail's hash chain: building records, querying.

Each record carries ``seq`` (1, 2, ...), ``prev_hash`` (the previous record's
``hash``) and ``hash``. With an audit key, ``hash`` is HMAC-SHA256 under that
key of the record's canonical JSON without ``hash``, and the record names the
key by ``key_id``: without the key nobody can make a record that verifies, so
edits, forgeries and re-hashed chains are all caught. Without a key (a trail
written before keys, or a repo that sets none), ``hash`` is plain SHA-256 and
only accidental damage is evident. Verification is in ``audit_verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

GENESIS = "0" * 64
_MAX_TEXT = 512
_MAX_ITEMS = 200


def canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def key_id(key: bytes) -> str:
    """A name for an audit key that reveals nothing about it."""
    return hmac.new(key, b"featurevault-audit-key-id", hashlib.sha256).hexdigest()[:16]


def record_hash(record: dict[str, Any], key: bytes | None = None) -> str:
    """The record's ``hash``: HMAC-SHA256 under ``key``, or SHA-256 when there is none."""
    body = canonical({k: v for k, v in record.items() if k != "hash"}).encode("ascii")
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def seal(
    records: list[dict[str, Any]],
    last_seq: int,
    last_hash: str,
    key: bytes | None = None,
    lines: list[bytes] | None = None,
) -> list[dict[str, Any]]:
    """Number and chain ``records`` after the record (last_seq, last_hash); keyed when ``key`` is given.

    With ``lines``, each sealed record is also appended to it as one line of JSON: the canonical
    encoding that was hashed, with ``hash`` added last (no second encoding of the record)."""
    sealed = []
    mac = hmac.new(key, digestmod=hashlib.sha256) if key is not None else None
    named = {"key_id": key_id(key)} if key is not None else {}
    for record in records:
        last_seq += 1
        body = {**record, "seq": last_seq, "prev_hash": last_hash, **named}
        body.pop("hash", None)
        data = canonical(body).encode("ascii")
        if mac is None:
            last_hash = hashlib.sha256(data).hexdigest()
        else:
            step = mac.copy()
            step.update(data)
            last_hash = step.hexdigest()
        sealed.append({**body, "hash": last_hash})
        if lines is not None:
            lines.append(b'%s,"hash":"%s"}\n' % (data[:-1], last_hash.encode("ascii")))
    return sealed


def clip(value: Any) -> Any:
    """Bound what a caller-controlled value can add to a record (names may be 1 MB strings).

    A short tuple of short strings (the feature refs, resources and roles a call names again and
    again) is clipped once and remembered; it comes back as a list, as every other sequence does.
    Only those are remembered, so what the cache keeps stays small whatever callers send."""
    if type(value) is tuple and len(value) <= _MAX_ITEMS and all(type(v) is str and len(v) <= _MAX_TEXT for v in value):
        return list(_clip_short_strings(value))
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


@lru_cache(maxsize=256)
def _clip_short_strings(value: tuple[str, ...]) -> tuple[str, ...]:
    """A tuple of strings clipped, kept as a tuple: nothing shared can change."""
    return tuple(clip(list(value)))


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
