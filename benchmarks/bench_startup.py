"""Start-up time: ``import featurevault`` and ``featurevault --help`` in fresh processes, against ``python -c pass``.

Every command runs ``runs`` times in fresh interpreters, the commands interleaved
(A B C D A B C D ...) so load on the machine falls on all of them alike. Sources
are byte-compiled first, as an installed package is. Reported per command: the
median and p99 wall time, the median CPU time of the child (user + system: what the
command costs, whatever else the machine is doing), and the median minus the floor's
median (the cost featurevault adds to starting Python). ``import typer`` is the second
floor: the CLI framework alone, before any command exists.

    python -m benchmarks.bench_startup [RUNS]
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from benchmarks.suite.stats import p99

SRC = Path(os.environ.get("BENCH_FEATUREVAULT_SRC", Path(__file__).resolve().parents[1] / "src"))
COMMANDS = {
    "floor: python -c pass": ["-c", "pass"],
    "import featurevault": ["-c", "import featurevault"],
    "from featurevault import Entity, FeatureView, Field, FileSource": [
        "-c",
        "from featurevault import Entity, FeatureView, Field, FileSource",
    ],
    "floor: import typer": ["-c", "import typer"],
    "featurevault --help": ["-m", "featurevault._cli.main", "--help"],
    "featurevault apply --help": ["-m", "featurevault._cli.main", "apply", "--help"],
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(runs: int = 21) -> list[dict[str, float | str]]:
    compileall.compile_dir(str(SRC / "featurevault"), quiet=1)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, args in COMMANDS.items():
            before = _children_cpu()
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], env=env, capture_output=True, check=True)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(_children_cpu() - before)
    floor = statistics.median(times["floor: python -c pass"])
    return [
        {
            "command": name,
            "median_ms": statistics.median(values) * 1000,
            "p99_ms": p99(values) * 1000,
            "cpu_median_ms": statistics.median(cpu[name]) * 1000,
            "over_floor_ms": (statistics.median(values) - floor) * 1000,
            "runs": len(values),
        }
        for name, values in times.items()
    ]


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 21), indent=2))
