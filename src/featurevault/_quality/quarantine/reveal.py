"""Quarantined rows as a reader may see them: PII opened where sealed, then masked as online reads mask it.

A quarantined row keeps its original values. When PII is encrypted at rest its PII columns
are stored sealed; either way a reader without READ_PII on the row's view must not see them
clear. :func:`reveal` gives each entry back with

- sealed values opened (each bound to its row's entity key, as the online store binds them),
- then, for a reader who may not read the view's PII, each PII feature masked with its
  strategy (``redact``, ``hash`` or ``partial``, the online read path's masker) and each PII
  join key hashed (as audit records hash entity keys);
- the rows of a view that no longer exists fully redacted for such a reader (nothing says
  which of its columns were PII).

Masking works per column over every entry of a view at once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from featurevault._quality.quarantine.base import QuarantineEntry, from_jsonable, jsonable

#: columns of a view -> the same columns with sealed values opened
Opener = Callable[[str, dict[str, list[Any]]], dict[str, list[Any]]]
#: (column values, strategy) -> masked values
MaskList = Callable[[list[Any], str], list[Any]]
#: view name -> {column: strategy} for this reader ({} reads clear; None: the view is gone)
Strategies = Callable[[str], "dict[str, str] | None"]

REDACT_ALL = "redact"


@dataclass(frozen=True)
class Revealed:
    entries: list[QuarantineEntry]
    #: ``view:column`` of every column masked for this reader
    masked: list[str]


def reveal(
    entries: list[QuarantineEntry], strategies_of: Strategies, mask_list: MaskList, opener: Opener | None = None
) -> Revealed:
    """``entries`` in the same order, opened and masked for one reader."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, entry in enumerate(entries):
        groups[entry.view].append(i)
    result = list(entries)
    masked: set[str] = set()
    for view, positions in groups.items():
        strategies = strategies_of(view)
        if strategies == {} and opener is None:  # clear, and nothing sealed: the entries as stored
            continue
        group = [entries[i] for i in positions]
        columns = _columns(group)
        if strategies is None:  # the view is gone: a reader without READ_PII sees no value
            strategies = {name: REDACT_ALL for name in columns}
        elif opener is not None:
            columns = opener(view, columns)
        for name, strategy in strategies.items():
            if name in columns:
                columns[name] = mask_list(columns[name], strategy)
                masked.add(f"{view}:{name}")
        for row_index, i in enumerate(positions):
            row = {name: jsonable(values[row_index]) for name, values in columns.items()}
            result[i] = replace(entries[i], row=json.dumps(row, sort_keys=True))
    return Revealed(result, sorted(masked))


def _columns(group: list[QuarantineEntry]) -> dict[str, list[Any]]:
    rows = [e.values for e in group]
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return {name: [from_jsonable(row.get(name)) for row in rows] for name in names}
