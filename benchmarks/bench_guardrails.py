"""What the guardrails cost on the online path: get_online_features p50/p99 with them off and on.

One repo, one 20-feature view (3 of them PII: hash, partial, redact), read
through the FeatureStore facade under three configs that share the registry
and online store:

* ``off``   - ``auth: no_auth``, ``audit: {sink: none}``: the guard only resolves its plan.
* ``audit`` - ``auth: no_auth``, audit to a JSON-lines file (buffered, background writer,
  chained with HMAC-SHA256 under an audit key).
* ``full``  - ``auth: token``, a principal without READ_PII (so the 3 PII columns are
  masked), policies enforced, audit to a file.
* ``sealed`` - as ``off``, but PII encrypted at rest (its own online store, written sealed):
  what opening the 3 sealed values per row costs.

Each configuration runs in a process of its own (an audit thread shares the GIL with its own
process's reads, never with another configuration's), and the processes take turns in blocks of
500 calls (off, audit, full, sealed, then rotated), so all see the same machine state. Each
block ends when its audit records are written: p50 and p99 are per call, and the mean is the
block's whole time per call, which counts the audit thread's writing (it runs in bursts that a
p50 mostly misses). Target: audit adds at most 10% to p50.

    python -m benchmarks.bench_guardrails [--entities 10000] [--iterations 2000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.suite.online_data import VIEW, make_rows, make_view
from featurevault import FeatureStore, FeatureView, Field
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction, Permission, RoleBasedPolicy
from featurevault._model.permission import ALL_ACTIONS
from benchmarks.suite.stats import percentile

PII = {"f18": "hash", "f19": "partial", "f00": "redact"}
BASE = "project: bench\nregistry: data/registry.db\nonline_store:\n  type: sqlite\n  path: data/online.db\n"
CONFIGS = {
    "off": BASE + "auth:\n  type: no_auth\naudit:\n  sink: none\n",
    "audit": BASE + "auth:\n  type: no_auth\naudit:\n  path: data/audit_a.jsonl\n",
    "full": BASE + "auth:\n  type: token\naudit:\n  path: data/audit_f.jsonl\n",
    "sealed": BASE.replace("online.db", "online_sealed.db")
    + "auth:\n  type: no_auth\naudit:\n  sink: none\npii:\n  encrypt_at_rest: true\n",
}
MASTER_KEY = "11" * 32
BLOCK = 500  # calls per configuration in turn
WARM_UP = 50
AUDIT_KEY = "bench-audit-key-0123456789abcdef"


def pii_view() -> FeatureView:
    view = make_view()
    schema = [
        Field(name=f.name, dtype=f.dtype, tags={"pii": "true", "pii.masking": PII[f.name]} if f.name in PII else {})
        for f in view.schema
    ]
    return FeatureView(name=VIEW, entities=view.entities, ttl=view.ttl, schema=schema, source=view.source)


def build_repo(workdir: Path, entities: int) -> None:
    for name, text in CONFIGS.items():
        (workdir / f"{name}.yaml").write_text(text)
    (workdir / "data").mkdir()
    rows = make_rows(entities)
    import pyarrow.parquet as pq

    pq.write_table(rows, workdir / make_view().source.path)  # the view's source, checked by apply
    view = pii_view()
    admin = Principal("bench-admin", roles=["admin"])
    perms = [
        Permission(name="admin", actions=ALL_ACTIONS, policy=RoleBasedPolicy(roles=["admin"])),
        Permission(name="readers", actions=[AuthzedAction.READ_ONLINE], policy=RoleBasedPolicy(roles=["reader"])),
    ]
    with FeatureStore(repo_path=workdir, fs_yaml_file=workdir / "full.yaml", principal=admin) as store:
        store.apply([*view.entities, view.source, view, *perms])
        store.write_to_online_store(VIEW, rows.to_pandas())
    with FeatureStore(repo_path=workdir, fs_yaml_file=workdir / "sealed.yaml", principal=admin) as store:
        store.write_to_online_store(VIEW, rows.to_pandas())


def run(entities: int, iterations: int, workdir: Path) -> list[dict[str, Any]]:
    os.environ.setdefault("FEATUREVAULT_MASTER_KEY", MASTER_KEY)
    os.environ.setdefault("FEATUREVAULT_AUDIT_KEY", AUDIT_KEY)  # the trail keyed, as in production
    build_repo(workdir, entities)
    spawn = multiprocessing.get_context("spawn")
    workers: dict[str, tuple[Any, Any]] = {}
    for name in CONFIGS:
        mine, theirs = spawn.Pipe()
        process = spawn.Process(target=_worker, args=(theirs, str(workdir), name), daemon=True)
        process.start()
        workers[name] = (process, mine)
    rng = random.Random(1)
    results = []
    try:
        for _, conn in workers.values():
            if conn.recv() != "ready":
                raise RuntimeError("a benchmark worker did not start")
        for batch in (1, 100):
            warm_up = [[{"user_id": rng.randrange(entities)} for _ in range(batch)] for _ in range(WARM_UP)]
            for _, conn in workers.values():
                conn.send(warm_up)
                conn.recv()
            samples: dict[str, list[float]] = {name: [] for name in workers}
            spent: dict[str, float] = {name: 0.0 for name in workers}
            for block_no, first in enumerate(range(0, iterations, BLOCK)):
                size = min(BLOCK, iterations - first)
                block = [[{"user_id": rng.randrange(entities)} for _ in range(batch)] for _ in range(size)]
                order = list(workers)
                shift = block_no % len(order)  # rotate who goes first
                for name in order[shift:] + order[:shift]:
                    conn = workers[name][1]
                    conn.send(block)
                    times, whole = conn.recv()
                    samples[name] += times
                    spent[name] += whole
            p50 = {n: statistics.median(s) for n, s in samples.items()}
            mean = {n: spent[n] / len(samples[n]) for n in samples}
            results.append(
                {
                    "batch": batch,
                    **{f"{n}_p50_us": round(v, 1) for n, v in p50.items()},
                    **{f"{n}_p99_us": round(percentile(s, 0.99), 1) for n, s in samples.items()},
                    **{f"{n}_mean_us": round(v, 1) for n, v in mean.items()},
                    "audit_overhead_pct": round(100 * (p50["audit"] / p50["off"] - 1), 1),
                    "full_overhead_pct": round(100 * (p50["full"] / p50["off"] - 1), 1),
                    "sealed_overhead_pct": round(100 * (p50["sealed"] / p50["off"] - 1), 1),
                    "audit_mean_overhead_pct": round(100 * (mean["audit"] / mean["off"] - 1), 1),
                    "full_mean_overhead_pct": round(100 * (mean["full"] / mean["off"] - 1), 1),
                }
            )
    finally:
        for _, conn in workers.values():
            conn.send(None)
        for process, conn in workers.values():
            process.join(60)
            conn.close()
    lines = sum(1 for _ in open(workdir / "data" / "audit_a.jsonl"))
    assert lines == 2 * (iterations + WARM_UP), lines  # every call audited
    return results


def _worker(conn: Any, workdir: str, name: str) -> None:
    """One configuration in a process of its own: its audit thread shares the GIL with its own reads only.

    Each block answers (per-call microseconds, whole-block microseconds with the audit records of the
    block written): the audit thread writes in bursts, which p50 mostly misses and the mean does not."""
    repo = Path(workdir)
    reader = Principal("bench-reader", roles=["reader"])
    store = FeatureStore(repo_path=repo, fs_yaml_file=repo / f"{name}.yaml", principal=reader)
    refs = [f"{VIEW}:{f.name}" for f in pii_view().features]
    conn.send("ready")
    while (block := conn.recv()) is not None:
        times = []
        began = time.perf_counter()
        for rows in block:
            start = time.perf_counter()
            out = store.get_online_features(refs, rows).to_dict()
            times.append((time.perf_counter() - start) * 1e6)
            if name == "full":
                assert out["f00"][0] is None  # masked for a reader without READ_PII
        store.guard.audit.flush()
        conn.send((times, (time.perf_counter() - began) * 1e6))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.entities, args.iterations, Path(tmp))
    for r in results:
        verdict = "OK" if r["audit_overhead_pct"] <= 10 else "OVER TARGET"
        print(
            f"batch {r['batch']:>3}: p50 off {r['off_p50_us']:.0f}us, audit {r['audit_p50_us']:.0f}us "
            f"(+{r['audit_overhead_pct']}%, target <=10%: {verdict}), full {r['full_p50_us']:.0f}us "
            f"(+{r['full_overhead_pct']}%), sealed {r['sealed_p50_us']:.0f}us (+{r['sealed_overhead_pct']}%); "
            f"p99 off {r['off_p99_us']:.0f}us audit {r['audit_p99_us']:.0f}us "
            f"full {r['full_p99_us']:.0f}us sealed {r['sealed_p99_us']:.0f}us; "
            f"mean with the audit written: off {r['off_mean_us']:.0f}us, audit {r['audit_mean_us']:.0f}us "
            f"(+{r['audit_mean_overhead_pct']}%), full {r['full_mean_us']:.0f}us (+{r['full_mean_overhead_pct']}%)"
        )


if __name__ == "__main__":
    main()
