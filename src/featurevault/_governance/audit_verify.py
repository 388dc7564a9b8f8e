"""Verifying the audit trail: the first bad record and the kind of tampering.

Kinds (``Tamper``):

* ``edited``: a record's content changed after it was written. Its hash no longer
  matches, but the next record (or a registry anchor) still vouches for the original hash.
* ``forged``: a record whose hash was not made with the audit key (appended, inserted
  or re-hashed by someone without it), an unkeyed record where the trail is keyed, or
  a record that contradicts the registry's anchors.
* ``deleted_start`` / ``deleted_middle`` / ``deleted_end``: records are missing before
  the first one (and no rotation discarded them), between two, or after the last (the
  registry's head or a checkpoint is newer than the trail's end).
* ``reordered``: records are out of sequence (the missing ones appear later).

The trail is read twice (sequence numbers first, then the records), never held whole.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from featurevault.errors import AuditError
from featurevault._governance.audit_anchor import Anchors
from featurevault._governance.audit_chain import GENESIS, key_id, record_hash


class Tamper(str, enum.Enum):
    EDITED = "edited"
    FORGED = "forged"
    DELETED_START = "deleted_start"
    DELETED_MIDDLE = "deleted_middle"
    DELETED_END = "deleted_end"
    REORDERED = "reordered"


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking a trail: ``ok``, or the first bad record, the kind of tampering and why."""

    ok: bool
    records: int
    bad_index: int | None = None  # 0-based position in the trail
    bad_seq: int | None = None
    kind: Tamper | None = None
    problem: str = ""
    keyed: bool = False
    unkeyed_records: int = 0
    checkpoints_checked: int = 0
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.ok:
            how = "keyed (HMAC-SHA256)" if self.keyed else "unkeyed (SHA-256 only: forgeries are not detectable)"
            return (
                f"audit trail intact: {self.records} records, {how}, {self.checkpoints_checked} checkpoint(s) matched"
            )
        kind = self.kind.value if self.kind else "broken"
        return f"audit trail {kind} at record #{self.bad_index} (seq {self.bad_seq}): {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind.value if self.kind else None
        return out


def verify_trail(
    read: Callable[[], Iterable[dict[str, Any]]], key: bytes | None = None, anchors: Anchors | None = None
) -> VerifyResult:
    """Check the trail ``read()`` yields against ``key`` and the registry's ``anchors``.

    Raises AuditError when the trail cannot be checked as configured (it is keyed and no
    key, or another key, was given): that is a configuration problem, not tampering.
    """
    anchors = anchors or Anchors()
    seqs: set[int] = set()
    key_ids: set[str] = set()
    for record in read():
        if isinstance(record.get("seq"), int):
            seqs.add(record["seq"])
        if isinstance(record.get("key_id"), str):
            key_ids.add(record["key_id"])
    _check_key(key, key_ids, anchors)
    return _Walk(key, anchors, seqs).run(read())


def verify_chain(records: Iterable[dict[str, Any]], head: dict[str, Any] | None = None) -> VerifyResult:
    """An unkeyed check of records in hand, against an optional head (seq, hash)."""
    kept = list(records)
    return verify_trail(lambda: kept, None, Anchors(head=head))


def _check_key(key: bytes | None, key_ids: set[str], anchors: Anchors) -> None:
    anchored = (anchors.keyed or {}).get("key_id")
    if key is None:
        if anchored or key_ids:
            name = anchored or sorted(key_ids)[0]
            raise AuditError(
                f"the audit trail is keyed (key id {name}); set the audit key (FEATUREVAULT_AUDIT_KEY or "
                "audit.key_file) to verify it"
            )
        return
    mine = key_id(key)
    if anchored and anchored != mine:
        raise AuditError(f"the audit key given (key id {mine}) is not the trail's key (key id {anchored})")
    if not anchored and key_ids and mine not in key_ids:
        raise AuditError(f"the audit key given (key id {mine}) is not the trail's key (key ids {sorted(key_ids)})")


def _missing(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}-{last}"


class _Walk:
    """One pass over the trail in stored order, with one record of lookahead."""

    def __init__(self, key: bytes | None, anchors: Anchors, seqs: set[int]) -> None:
        self.key = key
        self.mine = key_id(key) if key is not None else None
        self.anchors = anchors
        self.seqs = seqs
        self.keyed_from = int(anchors.keyed["seq"]) if anchors.keyed else None
        self.seen_keyed = False
        self.unkeyed = 0
        self.checkpoints = 0
        self.warnings: list[str] = []

    def run(self, records: Iterable[dict[str, Any]]) -> VerifyResult:
        prev: dict[str, Any] | None = None
        count = 0
        for index, (record, following) in enumerate(_with_next(records)):
            count += 1
            bad = self._check(index, record, prev, following)
            if bad is not None:
                kind, problem = bad
                seq = record.get("seq") if isinstance(record.get("seq"), int) else None
                return self._result(False, count, index, seq, kind, problem)
            prev = record
        return self._finish(prev, count)

    def _result(
        self,
        ok: bool,
        count: int,
        index: int | None = None,
        seq: int | None = None,
        kind: Tamper | None = None,
        problem: str = "",
    ) -> VerifyResult:
        return VerifyResult(
            ok, count, index, seq, kind, problem, self.key is not None, self.unkeyed, self.checkpoints, self.warnings
        )

    # -- one record -----------------------------------------------------------------------------

    def _check(
        self, index: int, record: dict[str, Any], prev: dict[str, Any] | None, following: dict[str, Any] | None
    ) -> tuple[Tamper, str] | None:
        if "_unparsable" in record or not isinstance(record.get("seq"), int):
            where = record.get("_unparsable", f"#{index}")
            return Tamper.EDITED, f"line {where} is not a well-formed audit record"
        return (
            self._authentic(record, following)
            or (self._follows(record, prev) if prev is not None else self._starts(record))
            or self._anchored(record)
        )

    def _authentic(self, record: dict[str, Any], following: dict[str, Any] | None) -> tuple[Tamper, str] | None:
        seq = record["seq"]
        if "key_id" in record:
            self.seen_keyed = True
            if record["key_id"] != self.mine:
                return Tamper.FORGED, f"record carries key id {record['key_id']!r}, not the trail's key"
            if record.get("hash") != record_hash(record, self.key):
                return self._edited_or_forged(record, following, "its HMAC does not match its content")
            return None
        self.unkeyed += 1
        if self.key is not None and (self.seen_keyed or (self.keyed_from is not None and seq >= self.keyed_from)):
            return (
                Tamper.FORGED,
                "an unkeyed record where the trail is keyed (the registry says keyed from seq "
                f"{self.keyed_from if self.keyed_from is not None else '?'})",
            )
        if record.get("hash") != record_hash(record):
            return Tamper.EDITED, "record was edited (hash does not match)"
        return None

    def _edited_or_forged(
        self, record: dict[str, Any], following: dict[str, Any] | None, why: str
    ) -> tuple[Tamper, str]:
        """Edited when something genuine still vouches for the stored hash; otherwise forged."""
        digest = record.get("hash")
        vouched = (
            (
                following is not None
                and following.get("prev_hash") == digest
                and following.get("key_id") == self.mine
                and following.get("hash") == record_hash(following, self.key)
            )
            or self.anchors.checkpoints.get(record["seq"]) == digest
            or (
                self.anchors.head is not None
                and self.anchors.head.get("seq") == record["seq"]
                and self.anchors.head.get("hash") == digest
            )
        )
        if vouched:
            return Tamper.EDITED, f"record was edited after it was written ({why}; the chain still holds its hash)"
        return Tamper.FORGED, f"record was not written with the audit key ({why}; nothing genuine links to it)"

    def _starts(self, record: dict[str, Any]) -> tuple[Tamper, str] | None:
        seq, anchors = record["seq"], self.anchors
        if seq == 1:
            if record.get("prev_hash") != GENESIS:
                return self._rewritten("first record does not start the chain")
            if anchors.genesis and anchors.genesis.get("hash") != record.get("hash"):
                return self._rewritten("first record differs from the genesis recorded in the registry")
            return None
        pruned = anchors.pruned
        if pruned and int(pruned["seq"]) + 1 == seq and pruned.get("hash") == record.get("prev_hash"):
            return None  # the records before were rotated away, and the registry says so
        if any(s < seq for s in self.seqs):
            return Tamper.REORDERED, f"seq {seq} comes first, records with lower seq come later"
        if not anchors.any:
            self.warnings.append(
                f"the trail starts at seq {seq} and the registry holds no anchors: records before it are unchecked"
            )
            return None
        rotated = f"; rotation discarded only up to seq {pruned['seq']}" if pruned else "; no rotation discarded any"
        return Tamper.DELETED_START, f"record(s) seq {_missing(1, seq - 1)} removed from the start{rotated}"

    def _follows(self, record: dict[str, Any], prev: dict[str, Any]) -> tuple[Tamper, str] | None:
        seq, last = record["seq"], prev["seq"]
        if seq <= last:
            return Tamper.REORDERED, f"records reordered (seq {seq} after seq {last})"
        if seq != last + 1:
            if any(s in self.seqs for s in range(last + 1, seq)):
                return Tamper.REORDERED, f"records reordered (seq {seq} after seq {last}; the ones between come later)"
            return Tamper.DELETED_MIDDLE, f"record(s) seq {_missing(last + 1, seq - 1)} removed before this one"
        if record.get("prev_hash") != prev.get("hash"):
            return self._rewritten("chain broken: prev_hash does not match the previous record")
        return None

    def _anchored(self, record: dict[str, Any]) -> tuple[Tamper, str] | None:
        seq, digest = record["seq"], record.get("hash")
        expected = self.anchors.checkpoints.get(seq)
        if expected is not None:
            if expected != digest:
                return self._rewritten("record differs from the checkpoint recorded in the registry")
            self.checkpoints += 1
        head = self.anchors.head
        if head is not None and head.get("seq") == seq and head.get("hash") != digest:
            return self._rewritten("record differs from the head recorded in the registry")
        return None

    def _rewritten(self, problem: str) -> tuple[Tamper, str]:
        """A record that checks out by itself but contradicts the chain or the registry."""
        return (Tamper.FORGED if self.key is not None else Tamper.EDITED), problem

    # -- the end --------------------------------------------------------------------------------

    def _finish(self, prev: dict[str, Any] | None, count: int) -> VerifyResult:
        last_seq = prev["seq"] if prev is not None else int((self.anchors.pruned or {}).get("seq", 0))
        anchored_seq, anchor = self.anchors.last_anchored()
        if last_seq < anchored_seq:
            problem = (
                f"record(s) seq {_missing(last_seq + 1, anchored_seq)} removed from the end "
                f"(the registry's {anchor} is seq {anchored_seq})"
            )
            return self._result(False, count, count, last_seq + 1, Tamper.DELETED_END, problem)
        if self.key is None and count:
            self.warnings.append("the trail is unkeyed: set an audit key so that forged records are detected")
        return self._result(True, count)


def _with_next(records: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    iterator = iter(records)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following


def verify_configured_trail(audit: Any, resolve: Callable[[str], Any], registry: Any, project: str) -> VerifyResult:
    """Verify the trail the ``audit`` config names, with its configured key and the registry's anchors."""
    from featurevault._governance.audit_anchor import TrailAnchor
    from featurevault._governance.audit_sinks import build_sink
    from featurevault._governance.keys import load_audit_key

    key = load_audit_key(audit, resolve)
    sink = build_sink(audit, resolve, key=key)
    try:
        return verify_trail(sink.read, key, TrailAnchor(registry, project).load())
    finally:
        sink.close()
