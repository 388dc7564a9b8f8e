"""The whole run: data, the comparator's venv, the workloads, the cross-checks, the report."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.suite import machine, report
from benchmarks.suite.data import generate
from benchmarks.suite.feast_env import FEAST_VERSION, ensure_feast_venv
from benchmarks.suite.guardrails import guardrails_workload
from benchmarks.suite.startup import startup_workload
from benchmarks.suite.runner import ONLINE_BACKENDS, SYSTEMS, Runner
from benchmarks.suite.scales import get_scale
from benchmarks.suite.serving import serve_workload
from benchmarks.suite.systems import REPO_ROOT

logger = logging.getLogger(__name__)

WORKLOADS = ("online", "historical", "materialize", "serve", "guardrails", "startup")


@dataclass
class Outcome:
    report_path: Path
    results: dict[str, Any]
    failures: list[str] = field(default_factory=list)


def _versions() -> dict[str, str]:
    versions = {}
    for name in ("duckdb", "pyarrow", "pandas", "redis", "msgpack"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _commit() -> str:
    """The checkout measured: commit id, with '+changes' when the work tree differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def run_suite(
    scale_name: str,
    only: list[str],
    with_feast: bool,
    out_root: Path,
    work: Path,
    backends: tuple[str, ...] = ONLINE_BACKENDS,
    systems: tuple[str, ...] = SYSTEMS,
) -> Outcome:
    scale = get_scale(scale_name)
    unknown = [name for name in only if name not in WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workload {unknown[0]!r}; choose from {', '.join(WORKLOADS)}")
    started = datetime.now(timezone.utc)
    manifest = generate(scale, work / "data")
    feast_python = ensure_feast_venv() if with_feast else None
    runner = Runner(scale, manifest, work.resolve(), feast_python, backends, systems)
    meta = {
        "scale": scale_name,
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "feast": FEAST_VERSION if with_feast else None,
        "commit": _commit(),
        "versions": _versions(),
        "rounds": scale.rounds,
        "workloads": only,
        "online_backends": list(backends),
        "systems": list(systems),
    }
    begin = time.perf_counter()
    results = runner.run(
        only, {"serve": serve_workload, "guardrails": guardrails_workload, "startup": startup_workload}
    )
    meta["wall_s"] = time.perf_counter() - begin
    meta["load_avg_1m_end"] = machine.describe()["load_avg_1m"]
    results = {"meta": meta, **results}
    failures = [
        f"{c['case']} vs {c['against']}: {c['mismatched_rows']} mismatched rows ({c['first_mismatch']})"
        for c in results["crosscheck"]
        if not c["ok"]
    ]
    failures += [
        f"workload {name} failed: {error.splitlines()[0]}" for name, error in results.get("errors", {}).items()
    ]
    out_dir = out_root / f"{started:%Y-%m-%d}" / scale_name
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    report_path = report.write(results, out_dir)
    return Outcome(report_path, results, failures)
