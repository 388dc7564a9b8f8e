"""HTTP serving: requests/s and latency of each store's own server, at several concurrencies.

Every server answers the comparator's ``/get-online-features`` route; each
request reads 10 entities x 20 features. The floor is a hand-written asyncio
server (:mod:`benchmarks.suite.floor_server`). The load generator runs in
this (parent) process; the servers run one process each.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

from benchmarks.suite.definitions import JOIN_KEY, ONLINE_VIEW, feature_refs
from benchmarks.suite.loadgen import run_load
from benchmarks.suite.runner import MATERIALIZE_START
from benchmarks.suite.stats import free_port, percentile
from benchmarks.suite.scales import SERVE_CONCURRENCY
from benchmarks.suite.systems import Side

if TYPE_CHECKING:
    from benchmarks.suite.runner import Runner

logger = logging.getLogger(__name__)

ENTITIES_PER_REQUEST = 10
MAX_SECONDS_PER_STEP = 60.0


def serve_workload(runner: Runner) -> list[dict[str, Any]]:
    sides = runner.sides()
    ids = random.Random(5).sample(range(runner.manifest.online_entities), ENTITIES_PER_REQUEST)
    payload = {"features": feature_refs([ONLINE_VIEW]), "entities": {JOIN_KEY: ids}}
    rows: list[dict[str, Any]] = []
    for backend in runner.backends:
        tag = f"serve-{backend}"
        with runner.workers(sides, tag) as workers:
            ports: dict[Side, int] = {}
            for side, worker in workers.items():
                runner.setup_side(worker, side, tag, {ONLINE_VIEW: runner.manifest.online_path}, backend)
                worker.call("materialize", start=MATERIALIZE_START, end=runner.manifest.end)
                ports[side] = free_port()
                worker.call("serve_start", port=ports[side])
                run_load(ports[side], "/get-online-features", payload, 1, 20, 10.0)  # warm-up
            samples: dict[tuple[Side, int], list[Any]] = {}
            for _ in range(runner.scale.rounds):
                for concurrency in SERVE_CONCURRENCY:
                    for side in workers:
                        got = run_load(
                            ports[side],
                            "/get-online-features",
                            payload,
                            concurrency,
                            runner.scale.serve_requests,
                            MAX_SECONDS_PER_STEP,
                        )
                        samples.setdefault((side, concurrency), []).append(got)
            for worker in workers.values():
                worker.call("teardown")
        for (side, concurrency), results in samples.items():
            latencies = [x for r in results for x in r.latencies]
            rows.append(
                {
                    "system": side.label,
                    "backend": backend,
                    "concurrency": concurrency,
                    "requests": len(latencies),
                    "errors": sum(r.errors for r in results),
                    "rps": len(latencies) / sum(r.wall_s for r in results),
                    "p50_ms": 1000 * percentile(latencies, 0.5),
                    "p99_ms": 1000 * percentile(latencies, 0.99),
                }
            )
        logger.info("serve %s done", backend)
    return rows
