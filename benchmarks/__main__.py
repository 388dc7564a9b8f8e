"""``python -m benchmarks run --scale tiny|small|medium|large [--only ...] [--with-feast]``.

Generates the scale's data (once, under ``benchmarks/.work``), runs every
workload through featurevault, the raw floor and (with ``--with-feast``, on
by default above ``tiny``) the comparator, interleaved, then writes
``benchmarks/results/<date>/`` (report.md, results.json, plots). Exits 1 when
a correctness cross-check fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from benchmarks.suite.report import write as write_report
from benchmarks.suite.suite import WORKLOADS, run_suite

ROOT = Path(__file__).resolve().parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the benchmark suite and write the report")
    run.add_argument("--scale", default="small", choices=["tiny", "small", "medium", "large"])
    run.add_argument("--only", default=",".join(WORKLOADS), help=f"comma-separated, from {','.join(WORKLOADS)}")
    feast = run.add_mutually_exclusive_group()
    feast.add_argument("--with-feast", dest="with_feast", action="store_true", default=None)
    feast.add_argument("--without-feast", dest="with_feast", action="store_false")
    run.add_argument("--backends", default="sqlite,redis", help="online stores to measure: sqlite,redis")
    run.add_argument("--systems", default="featurevault,floor,feast", help="systems to run (feast needs --with-feast)")
    run.add_argument("--out", type=Path, default=ROOT / "results", help="results folder (a dated subfolder is made)")
    run.add_argument("--work", type=Path, default=ROOT / ".work", help="generated data and scratch space")
    rerender = sub.add_parser("report", help="write report.md and plots again from a results folder's results.json")
    rerender.add_argument("results_dir", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    if args.command == "report":
        results = json.loads((args.results_dir / "results.json").read_text())
        print(f"report: {write_report(results, args.results_dir)}")
        return 0
    with_feast = args.with_feast if args.with_feast is not None else args.scale != "tiny"
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    backends = tuple(name.strip() for name in args.backends.split(",") if name.strip())
    unknown = [name for name in backends if name not in ("sqlite", "redis")]
    if unknown:
        print(f"unknown online store {unknown[0]!r} in --backends; choose from sqlite,redis", file=sys.stderr)
        return 2
    systems = tuple(name.strip() for name in args.systems.split(",") if name.strip())
    outcome = run_suite(args.scale, only, with_feast, args.out, args.work, backends, systems)
    print(f"report: {outcome.report_path}")
    for line in outcome.failures:
        print(f"FAILED: {line}", file=sys.stderr)
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
