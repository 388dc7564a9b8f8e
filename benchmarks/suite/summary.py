"""One table of ratios per workload (featurevault against Feast and against the floor), for the report's top."""

from __future__ import annotations

from typing import Any

FV = "featurevault"


def _find(rows: list[dict[str, Any]], system: str, **match: Any) -> dict[str, Any] | None:
    return next((r for r in rows if r["system"] == system and all(r[k] == v for k, v in match.items())), None)


def _ratios(pairs: list[tuple[float | None, float | None]], invert: bool = False) -> str:
    """'a / b / c' of ours/theirs (or theirs/ours with ``invert``), '-' where one side is missing."""
    out = []
    for ours, theirs in pairs:
        if not ours or not theirs:
            out.append("-")
        else:
            out.append(f"{(theirs / ours if invert else ours / theirs):.2f}x")
    return " / ".join(out)


def _online(rows: list[dict[str, Any]]) -> list[list[str]]:
    lines = []
    for backend in sorted({r["backend"] for r in rows}):
        ours = sorted((r for r in rows if r["system"] == FV and r["backend"] == backend), key=lambda r: r["batch"])
        feast = [(_find(rows, "feast", backend=backend, batch=r["batch"]) or {}).get("p50_ms") for r in ours]
        floor = [(_find(rows, "floor", backend=backend, batch=r["batch"]) or {}).get("p50_ms") for r in ours]
        label = f"online p50, {backend}, " + " / ".join(str(r["batch"]) for r in ours) + " entities"
        lines.append(
            [
                label,
                _ratios([(r["p50_ms"], f) for r, f in zip(ours, feast)], invert=True) + " faster",
                _ratios([(r["p50_ms"], f) for r, f in zip(ours, floor)]) + " the floor's time",
            ]
        )
    return lines


def _historical(rows: list[dict[str, Any]]) -> list[list[str]]:
    ours = [r for r in rows if r["system"] == FV]
    sizes = [dict(entity_rows=r["entity_rows"], feature_rows=r["feature_rows"]) for r in ours]
    label = " / ".join(f"{s['entity_rows']:,} x {s['feature_rows']:,}" for s in sizes)

    def median(system: str, size: dict[str, int]) -> float | None:
        return (_find(rows, system, **size) or {}).get("median_s")

    duck = _ratios([(r["median_s"], median("feast", s)) for r, s in zip(ours, sizes)], invert=True)
    file = _ratios([(r["median_s"], median("feast-file", s)) for r, s in zip(ours, sizes)], invert=True)
    floor = _ratios([(r["median_s"], median("floor", s)) for r, s in zip(ours, sizes)])
    rss = " / ".join(f"{(r['peak_rss_mb'] - r['baseline_rss_mb']) / r['input_mb']:.2f}x" for r in ours)
    return [
        [
            f"historical time, {label} (entity x feature rows)",
            f"{duck} Feast duckdb's speed; {file} Feast file's",
            f"{floor} the floor's time",
        ],
        ["historical peak RSS growth / input", "", rss],
    ]


def _per_backend(rows: list[dict[str, Any]], key: str, label: str, extra: str = "") -> list[list[str]]:
    lines = []
    ours = [r for r in rows if r["system"] == FV]
    for backend in sorted({r["backend"] for r in ours}):
        mine = [r for r in ours if r["backend"] == backend]
        match = (lambda r: {"concurrency": r["concurrency"]}) if extra else (lambda r: {})
        feast = [(_find(rows, "feast", backend=backend, **match(r)) or {}).get(key) for r in mine]
        floor = [(_find(rows, "floor", backend=backend, **match(r)) or {}).get(key) for r in mine]
        which = f", concurrency {' / '.join(str(r['concurrency']) for r in mine)}" if extra else ""
        lines.append(
            [
                f"{label}, {backend}{which}",
                _ratios([(r[key], f) for r, f in zip(mine, feast)]) + f" Feast's {extra or 'rows/s'}",
                _ratios([(r[key], f) for r, f in zip(mine, floor)]) + f" the floor's {extra or 'rows/s'}",
            ]
        )
    return lines


def section(results: dict[str, Any]) -> list[str]:
    body: list[list[str]] = []
    if isinstance(results.get("online"), list):
        body += _online(results["online"])
    if isinstance(results.get("historical"), list):
        body += _historical(results["historical"])
    if isinstance(results.get("materialize"), list):
        body += _per_backend(results["materialize"], "rows_per_s", "materialization")
    if isinstance(results.get("serve"), list):
        body += _per_backend(results["serve"], "rps", "HTTP serving", extra="req/s")
    if not body:
        return []
    lines = ["## Summary: featurevault against Feast and against the floor", ""]
    lines += ["| workload | vs Feast | vs floor |", "|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines + [""]
