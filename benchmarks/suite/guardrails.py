"""Cost of the production guardrails: online reads with auth + audit + PII masking on, against off.

The workload itself is ``benchmarks/bench_guardrails.py`` (``run(entities,
iterations, workdir)``, each configuration in a process of its own, taking
turns in blocks); the suite runs it in a subprocess with
featurevault on the path and reshapes its rows for the report. Where that
module is not there, the report says so instead of showing a figure.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from benchmarks.suite.systems import REPO_ROOT

if TYPE_CHECKING:
    from benchmarks.suite.runner import Runner

logger = logging.getLogger(__name__)

MODES = ("off", "audit", "full")
SCRIPT = """
import json, sys, tempfile
from pathlib import Path
from benchmarks.bench_guardrails import run
with tempfile.TemporaryDirectory(dir=sys.argv[3]) as tmp:
    print(json.dumps(run(int(sys.argv[1]), int(sys.argv[2]), Path(tmp))))
"""


def guardrails_workload(runner: Runner) -> dict[str, Any]:
    if not (REPO_ROOT / "benchmarks" / "bench_guardrails.py").exists():
        return {"status": "not measured", "reason": "benchmarks/bench_guardrails.py is not in this checkout"}
    entities = runner.manifest.online_entities
    iterations = runner.scale.online_iterations * runner.scale.rounds
    src = os.environ.get("BENCH_FEATUREVAULT_SRC", str(REPO_ROOT / "src"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), src])}
    runner.work.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-c", SCRIPT, str(entities), str(iterations), str(runner.work)]
    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks/bench_guardrails.py failed:\n{done.stderr[-3000:]}")
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [
        {
            "mode": mode,
            "batch": r["batch"],
            "p50_ms": r[f"{mode}_p50_us"] / 1000,
            "p99_ms": r[f"{mode}_p99_us"] / 1000,
            "overhead_pct": 0.0 if mode == "off" else r[f"{mode}_overhead_pct"],
            "mean_ms": r[f"{mode}_mean_us"] / 1000,
            "mean_overhead_pct": 0.0 if mode == "off" else r[f"{mode}_mean_overhead_pct"],
        }
        for r in raw
        for mode in MODES
    ]
    return {"status": "measured", "iterations": iterations, "entities": entities, "rows": rows}
