"""The benchmark suite at ``--scale tiny`` end to end, so that its code cannot rot.

No timing is asserted: only that every workload runs through featurevault and
the floor, the report and plots are written, and featurevault's historical
frames agree with the floor's hand-written point-in-time join.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_tiny_run_writes_report_and_agrees_with_floor(tmp_path: Path) -> None:
    argv = [
        sys.executable, "-m", "benchmarks", "run", "--scale", "tiny", "--without-feast",
        "--only", "online,historical,materialize,serve,guardrails,startup", "--backends", "sqlite",
        "--out", str(tmp_path / "results"), "--work", str(tmp_path / "work"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "src")])}
    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-4000:]

    (run_dir,) = (tmp_path / "results").glob("*/tiny")
    for name in ("report.md", "results.json", "online_latency.png", "historical_time.png", "materialize_rows.png"):
        assert (run_dir / name).stat().st_size > 0, name
    results = json.loads((run_dir / "results.json").read_text())
    assert "errors" not in results, results.get("errors")
    checks = [c for c in results["crosscheck"] if c["against"] == "floor"]
    assert checks and all(c["ok"] and c["rows_compared"] > 0 for c in checks), checks
    systems = {row["system"] for row in results["online"] + results["historical"] + results["materialize"]}
    assert systems == {"featurevault", "floor"}
    assert {row["system"] for row in results["serve"]} == {"featurevault", "floor"}
    report = (run_dir / "report.md").read_text()
    assert "## Correctness cross-check" in report and "FAIL" not in report
    startup = {row["command"] for row in results["startup"]["rows"]}
    assert {"floor: python -c pass", "import featurevault", "featurevault --help"} <= startup
    assert "## Start-up time" in report
