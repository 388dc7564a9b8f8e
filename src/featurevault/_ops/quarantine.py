"""Releasing quarantined rows: re-validate them against the view's current rules, write what passes.

Rows are written first and removed from the quarantine after, so a crash in between
leaves a released row in both places (released again harmlessly: writes are upserts),
never in neither.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault.errors import DataQualityError
from featurevault._model import FeatureView, RepoContents
from featurevault._ops import codec, write
from featurevault._ops.context import DataContext, OpsContext, guard_of
from featurevault._ops.offline_specs import source_spec
from featurevault._quality.gate import QualityGate
from featurevault._quality.quarantine import QuarantineEntry, from_jsonable

logger = logging.getLogger(__name__)


@dataclass
class ReleaseResult:
    released: list[str] = field(default_factory=list)
    #: entries that still break a rule (left in the quarantine)
    still_failing: list[str] = field(default_factory=list)
    #: entries whose view no longer exists (left in the quarantine)
    orphaned: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"released": self.released, "still_failing": self.still_failing, "orphaned": self.orphaned}


def release(store: OpsContext, entries: list[QuarantineEntry], gate: QualityGate) -> ReleaseResult:
    contents: RepoContents = store.registry.contents()
    result = ReleaseResult()
    groups: dict[tuple[str, str], list[QuarantineEntry]] = defaultdict(list)
    for entry in entries:
        groups[(entry.view, entry.target)].append(entry)
    for (view_name, target), group in groups.items():
        view = contents.feature_views.get(view_name)
        if view is None:
            result.orphaned += [e.id for e in group]
            continue
        _release_group(store, view, target, group, gate, result)
    return result


def _release_group(
    store: OpsContext,
    view: FeatureView,
    target: str,
    group: list[QuarantineEntry],
    gate: QualityGate,
    result: ReleaseResult,
) -> None:
    rows = [{k: from_jsonable(v) for k, v in e.values.items()} for e in group]
    columns = open_sealed(store, view, {name: [row.get(name) for row in rows] for name in rows[0]})
    table = write.prepare_rows(view, write._Frame(columns))
    try:
        verdict = gate.check(view, table)
    except DataQualityError:
        result.still_failing += [e.id for e in group]
        return
    failed = verdict.failed_mask.to_pylist() if verdict.failed_mask is not None else [False] * len(group)
    passed = [e for e, bad in zip(group, failed, strict=True) if not bad]
    result.still_failing += [e.id for e, bad in zip(group, failed, strict=True) if bad]
    if not passed:
        return
    accepted = pc.invert(verdict.failed_mask) if verdict.failed_mask is not None else None
    passing = table.filter(accepted) if accepted is not None else table
    if "offline" in target and view.stream_source is not None:
        frame = write._Frame({k: v for k, v in columns.items()})
        offline = write._offline_rows(view.stream_source, [(view, passing)], frame, accepted)
        store.offline_store.append(source_spec(view.batch_source), offline)
    if target != "offline":
        write._write_online(store, view, passing)
    store.quarantine.remove([e.id for e in passed])
    result.released += [e.id for e in passed]
    logger.info("feature view %r: %d quarantined row(s) released to %s", view.name, len(passed), target)


def open_sealed(store: DataContext, view: FeatureView, columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Columns with PII values decrypted when they were sealed at rest (bound to each row's entity key)."""
    guard = guard_of(store)
    if guard is None or not guard.encrypts_at_rest:
        return columns
    key_table = pa.table({k: pa.array(columns[k]) for k in view.join_keys})
    keys = codec.pack_keys(key_table, view.join_keys)
    opened = dict(columns)
    for name, values in columns.items():
        decrypt = guard.decryptor(view.name, name)
        if decrypt is not None:
            opened[name] = [decrypt(v, k) if isinstance(v, bytes) else v for v, k in zip(values, keys, strict=True)]
    return opened
