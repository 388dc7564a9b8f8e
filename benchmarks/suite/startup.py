"""Start-up time of ``import featurevault`` and ``featurevault --help`` (benchmarks/bench_startup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from benchmarks.suite.systems import REPO_ROOT

if TYPE_CHECKING:
    from benchmarks.suite.runner import Runner

SCRIPT = "import json, sys\nfrom benchmarks.bench_startup import run\nprint(json.dumps(run(int(sys.argv[1]))))\n"


def startup_workload(runner: Runner) -> dict[str, Any]:
    runs = max(5, 3 * runner.scale.rounds)
    src = os.environ.get("BENCH_FEATUREVAULT_SRC", str(REPO_ROOT / "src"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), src])}
    argv = [sys.executable, "-c", SCRIPT, str(runs)]
    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks/bench_startup.py failed:\n{done.stderr[-3000:]}")
    return {"status": "measured", "runs": runs, "rows": json.loads(done.stdout.strip().splitlines()[-1])}


def section(result: dict[str, Any], table: Any) -> list[str]:
    out = ["## Start-up time (fresh processes, against `python -c pass`)", ""]
    body = [[r["command"], r["median_ms"], r["p99_ms"], r["over_floor_ms"]] for r in result["rows"]]
    note = [
        f"Median and p99 of {result['runs']} fresh interpreters per command, interleaved; "
        "byte-compiled sources. Measured by benchmarks/bench_startup.py.",
        "",
    ]
    return out + note + table(["command", "median ms", "p99 ms", "median over floor ms"], body)
