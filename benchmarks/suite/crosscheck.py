"""Correctness in the same run: featurevault's historical frames against the floor's and the comparator's.

Against the floor the check is exact: same rows, same order, duplicates
included. Against the comparator it covers the rows where the comparator is
known to be correct: entity rows that are not duplicated, matched by
(entity, time); rows the comparator leaves out are counted, not compared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from benchmarks.suite.definitions import EVENT_TS, HISTORICAL_VIEWS, JOIN_KEY, feature_names

FEATURES = [name for view in HISTORICAL_VIEWS for name in feature_names(view)]
KEY = [JOIN_KEY, EVENT_TS]


@dataclass
class CrossCheck:
    case: str
    against: str
    rows_compared: int
    rows_missing_in_other: int
    mismatched_rows: int
    first_mismatch: str
    ok: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    columns = {
        JOIN_KEY: frame[JOIN_KEY].astype("int64"),
        EVENT_TS: pd.to_datetime(frame[EVENT_TS], utc=True).dt.as_unit("us"),
    }
    columns.update({name: pd.to_numeric(frame[name], errors="raise").astype("float64") for name in FEATURES})
    return pd.DataFrame(columns).reset_index(drop=True)


def _mismatches(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[int, str]:
    bad = np.zeros(len(ours), dtype=bool)
    first = ""
    for name in FEATURES:
        a, b = ours[name].to_numpy(), theirs[name].to_numpy()
        differs = ~np.isclose(a, b, rtol=1e-6, atol=1e-6, equal_nan=True)
        if differs.any() and not first:
            i = int(np.flatnonzero(differs)[0])
            first = f"{name} at {ours[JOIN_KEY].iloc[i]}@{ours[EVENT_TS].iloc[i]}: {a[i]!r} vs {b[i]!r}"
        bad |= differs
    return int(bad.sum()), first


def against_floor(case: str, ours: pd.DataFrame, floor: pd.DataFrame) -> CrossCheck:
    ours, floor = _normalised(ours), _normalised(floor)
    if len(ours) != len(floor) or not ours[KEY].equals(floor[KEY]):
        return CrossCheck(case, "floor", 0, abs(len(ours) - len(floor)), len(ours), "rows or order differ", False)
    bad, first = _mismatches(ours, floor)
    return CrossCheck(case, "floor", len(ours), 0, bad, first, bad == 0)


def against_comparator(case: str, label: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> CrossCheck:
    ours, theirs = _normalised(ours), _normalised(theirs)
    ours = ours.drop_duplicates(KEY, keep=False)
    theirs = theirs.drop_duplicates(KEY, keep=False)
    merged = ours.merge(theirs, on=KEY, how="left", suffixes=("", "__other"), indicator=True)
    present = merged["_merge"] == "both"
    missing = int((~present).sum())
    merged = merged[present].reset_index(drop=True)
    other = merged[KEY + [f"{n}__other" for n in FEATURES]]
    other.columns = KEY + FEATURES
    bad, first = _mismatches(merged[KEY + FEATURES], other)
    return CrossCheck(case, label, len(merged), missing, bad, first, bad == 0 and len(merged) > 0)
