"""The issue's targets, checked against a run's figures and stated plainly: met or missed, by how much."""

from __future__ import annotations

from typing import Any

FV, FLOOR, FEAST, FEAST_FILE = "featurevault", "floor", "feast", "feast-file"


def _pick(rows: list[dict[str, Any]], system: str, **match: Any) -> dict[str, Any] | None:
    return next((r for r in rows if r["system"] == system and all(r[k] == v for k, v in match.items())), None)


def _verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


#: (backend, entities per call) -> the most the online read's p50 may be over the floor's; else 2x
ONLINE_FLOOR_TARGETS = {("sqlite", 1): 2.0, ("sqlite", 100): 1.3, ("redis", 1): 1.3, ("redis", 100): 1.3}


def _online(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in (r for r in rows if r["system"] == FV):
        where = f"online {r['backend']}, {r['batch']} entities"
        feast = _pick(rows, FEAST, backend=r["backend"], batch=r["batch"])
        floor = _pick(rows, FLOOR, backend=r["backend"], batch=r["batch"])
        if feast:
            ratio = feast["p50_ms"] / r["p50_ms"]
            lines.append(f"- {where}: {ratio:.1f}x faster than Feast at p50 (target 10x): {_verdict(ratio >= 10)}")
        if floor:
            ratio = r["p50_ms"] / floor["p50_ms"]
            target = ONLINE_FLOOR_TARGETS.get((r["backend"], r["batch"]), 2.0)
            lines.append(
                f"- {where}: {ratio:.2f}x the floor's p50 (target <= {target:g}x): {_verdict(ratio <= target)}"
            )
    return lines


def _historical(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in (r for r in rows if r["system"] == FV):
        size = dict(entity_rows=r["entity_rows"], feature_rows=r["feature_rows"])
        where = f"historical {r['entity_rows']:,} x {r['feature_rows']:,}"
        if r["median_s"] is None:
            lines.append(f"- {where}: featurevault gave no answer in {r['timed_out_s']:.0f} s: **MISSED**")
            continue
        duck, file, floor = _pick(rows, FEAST, **size), _pick(rows, FEAST_FILE, **size), _pick(rows, FLOOR, **size)
        for other in (duck, file):
            if other and other["median_s"] is None:
                lines.append(f"- {where}: {other['system']} gave no answer in {other['timed_out_s']:.0f} s: met")
        duck = duck if duck and duck["median_s"] is not None else None
        file = file if file and file["median_s"] is not None else None
        if duck:
            ratio = duck["median_s"] / r["median_s"]
            lines.append(f"- {where}: {ratio:.2f}x Feast duckdb's speed (target > 1x): {_verdict(ratio > 1)}")
        if file:
            ratio = file["median_s"] / r["median_s"]
            lines.append(f"- {where}: {ratio:.1f}x Feast file's speed (target 3x): {_verdict(ratio >= 3)}")
        if floor:
            ratio = r["median_s"] / floor["median_s"]
            lines.append(f"- {where}: {ratio:.2f}x the floor's time (target <= 1.25x): {_verdict(ratio <= 1.25)}")
        grown = r["peak_rss_mb"] - r["baseline_rss_mb"]
        ratio = grown / r["input_mb"] if r["input_mb"] else 0.0
        lines.append(
            f"- {where}: peak RSS grew {grown:,.0f} MB over its level after setup for {r['input_mb']:,.0f} MB of input, "
            f"{ratio:.2f}x (target <= 2x): {_verdict(ratio <= 2)}"
        )
    return lines


def _materialize(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in (r for r in rows if r["system"] == FV):
        feast = _pick(rows, FEAST, backend=r["backend"])
        if feast:
            ratio = r["rows_per_s"] / feast["rows_per_s"]
            lines.append(
                f"- materialize {r['backend']}: {ratio:.1f}x Feast's rows/s (target 10x): {_verdict(ratio >= 10)}"
            )
    return lines


def _serve(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in (r for r in rows if r["system"] == FV):
        feast = _pick(rows, FEAST, backend=r["backend"], concurrency=r["concurrency"])
        if feast and feast["rps"]:
            ratio = r["rps"] / feast["rps"]
            ok = ratio >= 3 and r["p99_ms"] <= feast["p99_ms"]
            lines.append(
                f"- serve {r['backend']}, concurrency {r['concurrency']}: {ratio:.1f}x Feast's req/s, p99 "
                f"{r['p99_ms']:.1f} vs {feast['p99_ms']:.1f} ms (target 3x at equal or lower p99): {_verdict(ok)}"
            )
    return lines


def section(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for name, fn in (
        ("online", _online),
        ("historical", _historical),
        ("materialize", _materialize),
        ("serve", _serve),
    ):
        if isinstance(results.get(name), list):
            lines += fn(results[name])
    if not lines:
        return []
    missed = sum("MISSED" in line for line in lines)
    head = f"## Targets: {len(lines) - missed} met, {missed} missed"
    return [head, "", *lines, ""]
