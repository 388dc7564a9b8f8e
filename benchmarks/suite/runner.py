"""Runs the workloads, every system side by side, rounds interleaved A B A B.

Each workload case starts one worker per side, sets each up (untimed), then
runs the timed step round by round, every side once per round, so that noise
from the shared machine falls on all of them alike. Workers are new for each
case, so the peak RSS a worker reports belongs to that case alone.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.suite import crosscheck
from benchmarks.suite.data import Manifest
from benchmarks.suite.definitions import ONLINE_VIEW
from benchmarks.suite.protocol import Worker, WorkerTimeout
from benchmarks.suite.stats import percentile
from benchmarks.suite.scales import ONLINE_BATCH_SIZES, Scale
from benchmarks.suite.systems import Side, online_config, start_worker

logger = logging.getLogger(__name__)

MATERIALIZE_START = "2025-12-01T00:00:00+00:00"
ONLINE_BACKENDS = ("sqlite", "redis")
SYSTEMS = ("featurevault", "floor", "feast")
#: a side whose runs of one case have taken this long in all runs no further rounds (keeps
#: a slow comparator from stretching a run by hours; the report shows the number of runs)
SIDE_BUDGET_S = 150.0
#: one historical retrieval that has not answered by then is stopped and reported as such
CALL_TIMEOUT_S = 300.0


class Runner:
    def __init__(
        self,
        scale: Scale,
        manifest: Manifest,
        work: Path,
        feast_python: Path | None,
        backends: tuple[str, ...] = ONLINE_BACKENDS,
        systems: tuple[str, ...] = SYSTEMS,
    ) -> None:
        self.scale = scale
        self.backends = backends
        self.systems = systems
        self.manifest = manifest
        self.work = work
        self.feast_python = feast_python
        self.run_id = time.strftime("%H%M%S")
        self.results: dict[str, Any] = {"crosscheck": []}

    def sides(self, *extra_feast_offline: str) -> list[Side]:
        sides = [Side(name) for name in ("featurevault", "floor") if name in self.systems]
        if self.feast_python is not None and "feast" in self.systems:
            sides += [Side("feast", offline) for offline in extra_feast_offline or ("duckdb",)]
        return sides

    @contextmanager
    def workers(self, sides: list[Side], tag: str) -> Iterator[dict[Side, Worker]]:
        with ExitStack() as stack:
            yield {side: stack.enter_context(start_worker(side, self.feast_python, tag)) for side in sides}

    def setup_side(self, worker: Worker, side: Side, tag: str, sources: dict[str, str], backend: str) -> None:
        repo = self.work / "repos" / f"{side.label}-{tag}"
        project = f"bench_{self.run_id}_{side.label.replace('-', '_')}_{tag.replace('-', '_')}"
        online = online_config(side.system, backend, self.work / "repos" / f"{side.label}-{tag}-online.db")
        worker.call("setup", repo_dir=str(repo), project=project, sources=sources, online=online, offline=side.offline)

    # -- online read -----------------------------------------------------------------------

    def online(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        sources = {ONLINE_VIEW: self.manifest.online_path}
        for backend in self.backends:
            sides = self.sides()
            tag = f"online-{backend}"
            with self.workers(sides, tag) as workers:
                for side, worker in workers.items():
                    self.setup_side(worker, side, tag, sources, backend)
                    worker.call("materialize", start=MATERIALIZE_START, end=self.manifest.end)
                    worker.call("online_read", batch=10, iterations=5, entities=self.manifest.online_entities, seed=0)
                latencies: dict[tuple[Side, int], list[float]] = {}
                for rnd in range(self.scale.rounds):
                    for batch in ONLINE_BATCH_SIZES:
                        for side, worker in workers.items():
                            got = worker.call(
                                "online_read",
                                batch=batch,
                                iterations=self._iterations(batch),
                                entities=self.manifest.online_entities,
                                seed=1000 * rnd + batch,
                            )
                            latencies.setdefault((side, batch), []).extend(got["latencies"])
                for worker in workers.values():
                    worker.call("teardown")
            for (side, batch), values in latencies.items():
                rows.append(
                    {
                        "system": side.label,
                        "backend": backend,
                        "batch": batch,
                        "p50_ms": 1000 * percentile(values, 0.5),
                        "p99_ms": 1000 * percentile(values, 0.99),
                        "calls": len(values),
                    }
                )
            logger.info("online %s done", backend)
        return rows

    def _iterations(self, batch: int) -> int:
        # fewer calls for the big batches keeps every batch size to a similar wall time
        return max(10, self.scale.online_iterations // max(1, batch // 100))

    # -- historical retrieval -------------------------------------------------------------

    def historical(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for feature_rows in self.scale.feature_rows:
            for entity_rows in self.scale.entity_rows:
                rows += self._historical_case(feature_rows, entity_rows)
        return rows

    def _historical_case(self, feature_rows: int, entity_rows: int) -> list[dict[str, Any]]:
        case = f"{entity_rows}x{feature_rows}"
        sides = self.sides("file", "duckdb")
        sources = self.manifest.views[str(feature_rows)]
        entity_path = self.manifest.entity_dfs[str(entity_rows)]
        out_dir = self.work / "frames" / case
        out_dir.mkdir(parents=True, exist_ok=True)
        timings: dict[Side, list[float]] = {side: [] for side in sides}
        with self.workers(sides, f"hist-{case}") as workers:
            baselines, timed_out = {}, set()
            for side, worker in workers.items():
                self.setup_side(worker, side, f"hist-{case}", sources, "sqlite")
                # resident now (not the peak): libraries loaded, definitions applied, no retrieval yet
                baselines[side] = worker.rss_mb
                worker.call("historical", entity_path=self.manifest.warmup_path, out_path=None)
            for rnd in range(self.scale.rounds):
                for side, worker in workers.items():
                    if sum(timings[side]) > SIDE_BUDGET_S or side in timed_out:
                        continue
                    out = str(out_dir / f"{side.label}.parquet") if rnd == 0 else None
                    try:
                        got = worker.call("historical", timeout_s=CALL_TIMEOUT_S, entity_path=entity_path, out_path=out)
                    except WorkerTimeout:
                        logger.warning("historical %s %s: no answer within %.0f s", case, side.label, CALL_TIMEOUT_S)
                        timed_out.add(side)
                        continue
                    timings[side].append(got["seconds"])
                    logger.info("historical %s %s round %d: %.2f s", case, side.label, rnd, got["seconds"])
            peaks = {side: (w.peak_rss_mb, baselines[side]) for side, w in workers.items()}
            for side, worker in workers.items():
                if side not in timed_out:
                    worker.call("teardown")
        self._check_frames(case, out_dir, [side for side in sides if side not in timed_out])
        input_mb = (self.manifest.view_bytes[str(feature_rows)] + self.manifest.entity_bytes[str(entity_rows)]) / 2**20
        logger.info("historical %s done", case)
        return [
            {
                "system": side.label,
                "feature_rows": feature_rows,
                "entity_rows": entity_rows,
                "median_s": statistics.median(timings[side]) if timings[side] else None,
                "timed_out_s": CALL_TIMEOUT_S if side in timed_out else None,
                "runs_s": timings[side],
                "peak_rss_mb": peaks[side][0],
                "baseline_rss_mb": peaks[side][1],
                "input_mb": input_mb,
            }
            for side in sides
        ]

    def _check_frames(self, case: str, out_dir: Path, sides: list[Side]) -> None:
        labels = [side.label for side in sides]
        if "featurevault" not in labels:
            return  # nothing of ours to check (a run of the other systems alone)
        ours = pd.read_parquet(out_dir / "featurevault.parquet")
        checks = []
        if "floor" in labels:
            checks.append(crosscheck.against_floor(case, ours, pd.read_parquet(out_dir / "floor.parquet")))
        for side in sides:
            if side.system == "feast":
                theirs = pd.read_parquet(out_dir / f"{side.label}.parquet")
                checks.append(crosscheck.against_comparator(case, side.label, ours, theirs))
        self.results["crosscheck"] += [c.to_dict() for c in checks]

    # -- materialization ------------------------------------------------------------------

    def materialize(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        sources = {ONLINE_VIEW: self.manifest.materialize_path}
        for backend in self.backends:
            sides = self.sides()
            timings: dict[Side, list[float]] = {side: [] for side in sides}
            with self.workers(sides, f"mat-{backend}") as workers:
                for rnd in range(self.scale.rounds):
                    for side, worker in workers.items():
                        if sum(timings[side]) > SIDE_BUDGET_S:
                            continue
                        tag = f"mat-{backend}-{rnd}"
                        self.setup_side(worker, side, tag, sources, backend)
                        got = worker.call("materialize", start=MATERIALIZE_START, end=self.manifest.end)
                        timings[side].append(got["seconds"])
                        worker.call("teardown")
                peaks = {side: w.peak_rss_mb for side, w in workers.items()}
            for side in sides:
                median = statistics.median(timings[side])
                rows.append(
                    {
                        "system": side.label,
                        "backend": backend,
                        "rows": self.manifest.materialize_rows,
                        "median_s": median,
                        "runs_s": timings[side],
                        "rows_per_s": self.manifest.materialize_rows / median,
                        "peak_rss_mb": peaks[side],
                    }
                )
            logger.info("materialize %s done", backend)
        return rows

    def run(self, only: list[str], extra: dict[str, Callable[[Runner], Any]] | None = None) -> dict[str, Any]:
        steps: dict[str, Callable[[], Any]] = {
            "online": self.online,
            "historical": self.historical,
            "materialize": self.materialize,
        }
        for name, fn in (extra or {}).items():
            steps[name] = lambda fn=fn: fn(self)
        for name in only:
            if name not in steps:
                raise ValueError(f"unknown workload {name!r}; choose from {', '.join(steps)}")
            started = time.perf_counter()
            try:
                self.results[name] = steps[name]()
            except Exception as exc:  # one broken workload must not lose the others' figures
                logger.exception("workload %s failed", name)
                self.results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {str(exc)[:2000]}"
            self.results.setdefault("wall_s", {})[name] = time.perf_counter() - started
        return self.results
