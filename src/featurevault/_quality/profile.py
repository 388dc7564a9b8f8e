"""Profiles: per feature statistics of a view's offline rows over a time range.

For every feature: rows, nulls and null rate (NaN counts as null), approximate distinct
count, and the three most common values; for numeric features also min, max, mean, sample
standard deviation, quantiles (5/25/50/75/95%, interpolated as numpy's default) and a
histogram of ten equal-width bins. Statistics skip nulls and NaN, as pandas does.
Profiles are stored in the registry's state with their range and an id: every one in its view's
history (namespace ``profiles.history:<view>``), the latest also under ``profiles``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from featurevault._backends.offline.specs import ViewSpec
from featurevault._model import FeatureView
from featurevault._quality.enforce import hidden_columns
from featurevault._quality.rules.sql import quote
from featurevault._quality.validate import float_columns
from featurevault._model.types import Float32, Float64, Int32, Int64

NAMESPACE = "profiles"
#: every profile of a view, by id: namespace ``profiles.history:<view>``
HISTORY = "profiles.history"
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BINS = 10
TOP = 3
NUMERIC = (Float32, Float64, Int32, Int64)
ORDERED = ("String", "Bool", "UnixTimestamp")


@dataclass
class FeatureProfile:
    name: str
    dtype: str
    count: int
    nulls: int
    distinct: int
    min: Any = None
    max: Any = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    top_values: list[tuple[Any, int]] = field(default_factory=list)
    #: ``(edges, counts)``: ``BINS + 1`` edges and ``BINS`` counts (numeric features only)
    histogram: tuple[list[float], list[int]] | None = None

    @property
    def null_rate(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["null_rate"] = self.null_rate
        data["top_values"] = [[_plain(v), n] for v, n in self.top_values]
        data["histogram"] = {"edges": self.histogram[0], "counts": self.histogram[1]} if self.histogram else None
        return {k: _plain(v) for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureProfile:
        data = {k: v for k, v in data.items() if k != "null_rate"}
        hist = data.get("histogram")
        data["histogram"] = (hist["edges"], hist["counts"]) if hist else None
        data["top_values"] = [tuple(p) for p in data.get("top_values", [])]
        return cls(**data)


@dataclass
class Profile:
    view: str
    start: datetime | None
    end: datetime | None
    at: datetime
    rows: int
    features: dict[str, FeatureProfile]
    #: the stored profile's id (empty for profiles never stored: saved datasets, references)
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.summary(), "features": {n: f.to_dict() for n, f in self.features.items()}}

    def summary(self) -> dict[str, Any]:
        """What a history listing shows: id, view, range, when it was taken and how many rows."""
        return {
            "id": self.id,
            "view": self.view,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "at": self.at.isoformat(),
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        features = {n: FeatureProfile.from_dict(f) for n, f in data["features"].items()}
        return cls(
            data["view"],
            _parse(data["start"]),
            _parse(data["end"]),
            datetime.fromisoformat(data["at"]),
            data["rows"],
            features,
            data.get("id", ""),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


Runner = Any  # ``run(build)``: runs ``build(rows_subquery)`` and returns an Arrow table


def profile_view(
    offline: Any, view: FeatureView, start: datetime | None, end: datetime | None, *, spec: ViewSpec
) -> Profile:
    """Profile a view's offline rows in [start, end] (one aggregate query, then top values and histograms).

    ``spec`` is the view as the offline engine reads it.
    """
    run = lambda build: offline.over_view_rows(spec, start, end, build)  # noqa: E731
    rows, features = profile_rows(run, [(f.name, f.dtype) for f in view.features], float_columns(view))
    for name in hidden_columns(view) & features.keys():  # PII: counts only, never values
        p = features[name]
        p.min = p.max = None
        p.top_values = []
        if p.dtype not in ("Float32", "Float64", "Int32", "Int64"):
            p.histogram = None
    at = datetime.now(UTC)
    return Profile(view.name, start, end, at, rows, features, f"{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")


def profile_table(table: Any, name: str = "table") -> Profile:
    """Profile an Arrow table in memory (saved datasets, validation references), same statistics."""
    from featurevault._quality.rules.engine import cursor
    from featurevault._model.types import from_arrow

    columns = []
    for column in table.schema:
        try:
            columns.append((column.name, from_arrow(column.type)))
        except Exception:  # a column of a type features do not have: not profiled
            continue
    floats = {n for n, t in columns if t in (Float32, Float64)}

    def run(build: Any) -> Any:
        with cursor() as con:
            con.register("__fv_table", table)
            return con.sql(build("__fv_table")).to_arrow_table()

    rows, features = profile_rows(run, columns, floats)
    return Profile(name, None, None, datetime.now(UTC), rows, features)


def profile_rows(
    run: Runner, columns: list[tuple[str, Any]], floats: set[str]
) -> tuple[int, dict[str, FeatureProfile]]:
    stats = run(lambda rows: _aggregate_sql(columns, floats, rows)).to_pylist()[0]
    profiles = {}
    for name, dtype in columns:
        numeric = dtype in NUMERIC
        p = FeatureProfile(
            name, dtype.name, int(stats["__rows"]), int(stats[f"{name}__nulls"]), int(stats[f"{name}__distinct"] or 0)
        )
        if numeric and stats[f"{name}__n"]:
            p.min, p.max = stats[f"{name}__min"], stats[f"{name}__max"]
            p.mean, p.std = stats[f"{name}__mean"], stats[f"{name}__std"]
            p.quantiles = {str(q): v for q, v in zip(QUANTILES, stats[f"{name}__q"], strict=True)}
            p.histogram = _histogram(run, name, floats, float(p.min), float(p.max))
        elif not numeric and dtype.name in ORDERED:
            p.min, p.max = _plain(stats.get(f"{name}__min")), _plain(stats.get(f"{name}__max"))
        p.top_values = _top_values(run, name, floats)
        profiles[name] = p
    return int(stats["__rows"]), profiles


def _valid(name: str, floats: set[str]) -> str:
    """Rows a statistic counts: not null, and not NaN in a float column."""
    col = quote(name)
    return f"({col} IS NOT NULL AND NOT isnan({col}))" if name in floats else f"({col} IS NOT NULL)"


def _aggregate_sql(columns: list[tuple[str, Any]], floats: set[str], rows: str) -> str:
    parts = ["count(*) AS __rows"]
    quantiles = ", ".join(str(q) for q in QUANTILES)
    for name, dtype in columns:
        col, valid = quote(name), _valid(name, floats)

        def agg(call: str, alias: str, col: str = col, valid: str = valid, name: str = name) -> str:
            return f"{call} FILTER (WHERE {valid}) AS {quote(name + alias)}"

        parts += [
            f"count(*) - count(*) FILTER (WHERE {valid}) AS {quote(name + '__nulls')}",
            agg(f"approx_count_distinct({col})", "__distinct"),
            agg("count(*)", "__n"),
        ]
        if dtype in NUMERIC:
            parts += [
                agg(f"min({col})", "__min"),
                agg(f"max({col})", "__max"),
                agg(f"avg({col})", "__mean"),
                agg(f"stddev_samp({col})", "__std"),
                agg(f"quantile_cont({col}, [{quantiles}])", "__q"),
            ]
        elif dtype.name in ORDERED:
            parts += [agg(f"min({col})", "__min"), agg(f"max({col})", "__max")]
    return f"SELECT {', '.join(parts)} FROM {rows}"


def _top_values(run: Runner, name: str, floats: set[str]) -> list[tuple[Any, int]]:
    col, valid = quote(name), _valid(name, floats)
    sql = lambda rows: (
        f"SELECT {col} AS v, count(*) AS n FROM {rows} WHERE {valid} GROUP BY 1 ORDER BY n DESC, v LIMIT {TOP}"
    )
    try:
        table = run(sql)
    except Exception:  # a type without ordering or grouping (maps, lists): no top values
        return []
    return [(_plain(r["v"]), int(r["n"])) for r in table.to_pylist()]


def _histogram(run: Runner, name: str, floats: set[str], low: float, high: float) -> tuple[list[float], list[int]]:
    width = (high - low) / BINS if high > low else 1.0
    edges = [low + i * width for i in range(BINS + 1)]
    col, valid = quote(name), _valid(name, floats)
    # TRY_CAST: DuckDB may compute the bucket before the filter drops NaN and null
    bucket = f"least(greatest(TRY_CAST(floor(({col} - {low!r}) / {width!r}) AS BIGINT), 0), {BINS - 1})"
    counts = [0] * BINS
    rows = run(lambda rows: f"SELECT {bucket} AS b, count(*) AS n FROM {rows} WHERE {valid} GROUP BY 1")
    for row in rows.to_pylist():
        if row["b"] is not None:
            counts[int(row["b"])] = int(row["n"])
    return edges, counts


def _history(view: str) -> str:
    return f"{HISTORY}:{view}"


def save_profile(registry: Any, project: str, profile: Profile) -> None:
    """Keep ``profile`` in its view's history, and as the view's latest."""
    if profile.id:
        registry.set_state(project, _history(profile.view), profile.id, profile.to_dict())
    registry.set_state(project, NAMESPACE, profile.view, profile.to_dict())


def load_profile(registry: Any, project: str, view: str, profile_id: str | None = None) -> Profile | None:
    """The view's latest profile, or the stored one with ``profile_id`` (None when there is none)."""
    if profile_id is not None:
        data = registry.get_state(project, _history(view)).get(profile_id)
        if data is None:
            latest = registry.get_state(project, NAMESPACE).get(view)  # stored before histories were kept
            data = latest if latest and latest.get("id", "") == profile_id else None
    else:
        data = registry.get_state(project, NAMESPACE).get(view)
    return Profile.from_dict(data) if data else None


def profile_history(
    registry: Any, project: str, view: str, start: datetime | None = None, end: datetime | None = None
) -> list[Profile]:
    """Every stored profile of ``view``, oldest first; with ``start``/``end``, those whose range lies within.

    A profile taken without a start (or end) reaches back (or forward) without bound, so it
    lies within a range only when that range is open on the same side.
    """
    stored = [Profile.from_dict(d) for d in registry.get_state(project, _history(view)).values()]
    latest = registry.get_state(project, NAMESPACE).get(view)
    if latest and not any(p.id == latest.get("id", "") for p in stored):  # stored before histories were kept
        stored.append(Profile.from_dict(latest))
    return sorted((p for p in stored if _within(p, start, end)), key=lambda p: (p.at, p.id))


def _within(profile: Profile, start: datetime | None, end: datetime | None) -> bool:
    if start is not None and (profile.start is None or _utc(profile.start) < _utc(start)):
        return False
    return end is None or (profile.end is not None and _utc(profile.end) <= _utc(end))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
