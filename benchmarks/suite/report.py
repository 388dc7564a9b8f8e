"""report.md and PNG plots from a run's results (nothing in them that the run did not measure)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.suite import plots, startup, summary, targets


def _table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 10 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _meta(meta: dict[str, Any]) -> list[str]:
    m = meta["machine"]
    return [
        f"# featurevault benchmark: scale `{meta['scale']}`",
        "",
        f"Run started {meta['started_utc']}, took {meta['wall_s']:.0f} s. "
        f"{m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, Python {m['python']}, "
        f"kernel {m['kernel']}. Load average (1 min) {m['load_avg_1m']:.2f} at start, "
        f"{meta['load_avg_1m_end']:.2f} at the end: the machine is shared, so absolute figures are noisy; "
        f"the ratios between systems measured in the same interleaved rounds are what count.",
        "",
        f"Measured checkout: {meta.get('commit', 'unknown')}. "
        f"Comparator: {'Feast ' + meta['feast'] if meta['feast'] else 'not run'} "
        "(`feast`: Feast with its `duckdb` offline store, used for materialization too; "
        "`feast-file`: with its default `file` store). "
        f"Rounds per workload: {meta['rounds']}. Libraries: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + ".",
        "",
    ]


def _online(rows: list[dict[str, Any]]) -> list[str]:
    out = ["## Online read (in-process, 20 features)", ""]
    body = [[r["backend"], r["batch"], r["system"], r["p50_ms"], r["p99_ms"], r["calls"]] for r in rows]
    return (
        out
        + _table(["backend", "entities", "system", "p50 ms", "p99 ms", "calls"], body)
        + [
            "![online latency](online_latency.png)",
            "",
        ]
    )


def _historical(rows: list[dict[str, Any]]) -> list[str]:
    out = ["## Historical retrieval (3 views x 20 features)", ""]
    body = [
        [
            r["entity_rows"],
            r["feature_rows"],
            r["system"],
            r["median_s"] if r["median_s"] is not None else f"no answer in {r['timed_out_s']:.0f} s",
            len(r["runs_s"]),
            r["peak_rss_mb"],
            r["peak_rss_mb"] - r["baseline_rss_mb"],
            r["input_mb"],
        ]
        for r in rows
    ]
    header = [
        "entity rows",
        "feature rows/view",
        "system",
        "median s",
        "runs",
        "peak RSS MB",
        "grew MB (after setup)",
        "input MB",
    ]
    return out + _table(header, body) + ["![historical time](historical_time.png)", ""]


def _materialize(rows: list[dict[str, Any]]) -> list[str]:
    out = ["## Materialization (20 features)", ""]
    body = [
        [r["backend"], r["rows"], r["system"], r["median_s"], len(r["runs_s"]), r["rows_per_s"], r["peak_rss_mb"]]
        for r in rows
    ]
    header = ["backend", "rows", "system", "median s", "runs", "rows/s", "peak RSS MB"]
    return out + _table(header, body) + ["![materialization](materialize_rows.png)", ""]


def _serve(rows: list[dict[str, Any]]) -> list[str]:
    out = ["## HTTP serving (loopback, 10 entities x 20 features per request)", ""]
    body = [
        [r["backend"], r["concurrency"], r["system"], r["requests"], r["errors"], r["rps"], r["p50_ms"], r["p99_ms"]]
        for r in rows
    ]
    header = ["backend", "concurrency", "system", "requests", "errors", "req/s", "p50 ms", "p99 ms"]
    return out + _table(header, body) + ["![serving throughput](serve_throughput.png)", ""]


def _guardrails(section: dict[str, Any]) -> list[str]:
    out = ["## Guardrails cost (online read, auth + audit + PII masking on vs off)", ""]
    if section.get("status") != "measured":
        return out + [f"Not measured: {section.get('reason', 'unavailable')}.", ""]
    body = [
        [
            r["mode"],
            r["batch"],
            r["p50_ms"],
            r["p99_ms"],
            f"{r['overhead_pct']:+.1f}%",
            r.get("mean_ms", ""),
            "" if "mean_overhead_pct" not in r else f"{r['mean_overhead_pct']:+.1f}%",
        ]
        for r in section["rows"]
    ]
    note = [
        "`off`: no auth, no audit; `audit`: audit records to a file; `full`: token auth, policies, audit, "
        "and 3 of 20 features PII-masked for the reader. Measured by benchmarks/bench_guardrails.py "
        f"({section['iterations']} calls per mode and batch, each mode in a process of its own, taking turns "
        "in blocks, SQLite online store). The mean is a block's whole time per call with its audit records "
        "written: the audit thread writes in bursts that the p50 mostly misses.",
        "",
    ]
    return out + note + _table(["mode", "entities", "p50 ms", "p99 ms", "p50 vs off", "mean ms", "mean vs off"], body)


def _crosscheck(checks: list[dict[str, Any]]) -> list[str]:
    out = ["## Correctness cross-check (historical frames)", ""]
    if not checks:
        return out + ["Not run: the historical workload was not part of this run.", ""]
    body = [
        [
            c["case"],
            c["against"],
            c["rows_compared"],
            c["rows_missing_in_other"],
            c["mismatched_rows"],
            "pass" if c["ok"] else "FAIL",
        ]
        for c in checks
    ]
    header = [
        "case (entity x feature rows)",
        "against",
        "rows compared",
        "rows missing in other",
        "mismatched",
        "result",
    ]
    return (
        out
        + _table(header, body)
        + [
            "Against the floor: same rows in the same order, duplicates included. Against the comparator: "
            "non-duplicated entity rows matched on (entity, time); rows it leaves out are counted, not compared.",
            "",
        ]
    )


def write(results: dict[str, Any], out_dir: Path) -> Path:
    lines = _meta(results["meta"])
    lines += summary.section(results)
    lines += targets.section(results)
    if "online" in results:
        lines += _online(results["online"])
        plots.online_latency(results["online"], out_dir / "online_latency.png")
    if "historical" in results:
        lines += _historical(results["historical"])
        plots.historical_time(results["historical"], out_dir / "historical_time.png")
    if "materialize" in results:
        lines += _materialize(results["materialize"])
        plots.materialize_rows(results["materialize"], out_dir / "materialize_rows.png")
    if "serve" in results:
        lines += _serve(results["serve"])
        plots.serve_throughput(results["serve"], out_dir / "serve_throughput.png")
    if "guardrails" in results:
        lines += _guardrails(results["guardrails"])
    if "startup" in results:
        lines += startup.section(results["startup"], _table)
    lines += _crosscheck(results["crosscheck"])
    for name, error in results.get("errors", {}).items():
        lines += [f"## Workload `{name}` FAILED", "", "```", error, "```", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path
