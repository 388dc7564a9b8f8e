"""The dashboard's server-side render time with a large registry: each list and detail page, median and p99.

A registry of 1,000 feature views x 20 features (20,000 features), 10 entities, 50 feature services,
100 alerts, token auth with an enforced policy and a file audit trail (so each request pays for its
permission filter and its audit record). Monitoring state as after three hourly ``monitor run``s of
every view (freshness, and PSI/JS/KS/null rate of every feature: about 250,000 metric points), one
quarantined row per ten views, a baseline and a profile of one view. Pages are fetched in process (no network) with a bearer token. The
floor is ``GET /feature-views`` of the feature server, the existing JSON listing of the same views,
measured in the same run. Target: every page's median under 200 ms. "first" is the first request of
a page: it pays for the aggregates the dashboard then reuses (lint per registry version; newest
metrics and quarantine counts for 15 s; readiness for 30 s).

    python -m benchmarks.bench_ui [--views 1000] [--features 20] [--iterations 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from featurevault import Alert, Entity, FeatureService, FeatureStore, FeatureView, Field, FileSource
from featurevault._governance.auth import TokenStore
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction, Permission, RoleBasedPolicy
from featurevault.types import Float64

YAML = """project: bench_ui
registry: data/registry.db
online_store:
    type: sqlite
    path: data/online.db
auth:
    type: token
audit:
    path: data/audit.jsonl
"""
TARGET_MS = 200.0


def build(repo: Path, views: int, features: int) -> tuple[FeatureStore, str]:
    (repo / "data").mkdir(parents=True)
    (repo / "feature_store.yaml").write_text(YAML)
    os.environ.setdefault("FEATUREVAULT_PII_HASH_KEY", "bench-ui-hash-key-0123456789abcdef")
    admin = FeatureStore(repo_path=repo, principal=Principal("bench-admin", roles=["admin"]))
    entities = [Entity(name=f"entity_{i}", join_keys=[f"key_{i}"], owner=f"team{i}@example.com") for i in range(10)]
    import pandas as pd

    columns = {"ts": pd.to_datetime(["2026-01-01"], utc=True), **{f"key_{i}": [1] for i in range(10)}}
    pd.DataFrame({**columns, **{f"f{f:02d}": [1.0] for f in range(features)}}).to_parquet(
        repo / "data" / "rows.parquet"
    )
    source = FileSource(name="source", path="data/rows.parquet", timestamp_field="ts")
    feature_views = [
        FeatureView(
            name=f"view_{v:04d}",
            entities=[entities[v % 10]],
            ttl=timedelta(days=1),
            source=source,
            schema=[
                Field(name=f"f{f:02d}", dtype=Float64, tags={"pii": "true"} if f == 0 else {}) for f in range(features)
            ],
            owner=f"team{v % 10}@example.com",
            tags={"domain": f"d{v % 7}", "freshness": "hourly"},
        )
        for v in range(views)
    ]
    services = [
        FeatureService(name=f"service_{s:02d}", features=feature_views[s * 20 : s * 20 + 20]) for s in range(50)
    ]
    (repo / "runbooks").mkdir()
    (repo / "runbooks" / "stale.md").write_text("# Stale\n\n1. Check the **last materialization**.\n2. Re-run it.\n")
    alerts = [
        Alert(
            name=f"stale_{v:04d}", feature_view=f"view_{v:04d}", condition="freshness > 2x", runbook="runbooks/stale.md"
        )
        for v in range(0, views, max(1, views // 100))
    ]
    grants = [
        Permission(name="admin", actions=[*AuthzedAction], policy=RoleBasedPolicy(roles=["admin"])),
        Permission(
            name="viewer",
            name_patterns=["bench_ui", "view_0.*", "entity_.*", "source", "service_.*", "stale_.*"],
            actions=[AuthzedAction.DESCRIBE],
            policy=RoleBasedPolicy(roles=["viewer"]),
        ),
    ]
    admin.apply([*entities, source, *feature_views, *services, *alerts, *grants], skip_lint=True)
    monitoring_state(admin, views, features)
    tokens = TokenStore(admin.registry.registry, admin.project)
    token = tokens.create("bench-viewer", roles=["viewer"])
    os.environ["BENCH_UI_ADMIN_TOKEN"] = tokens.create("bench-admin", roles=["admin"])
    admin.close()
    return FeatureStore(repo_path=repo), token


def monitoring_state(admin: FeatureStore, views: int, features: int, runs: int = 3) -> None:
    """What three hourly monitor runs, some quarantined rows, a baseline and a profile leave behind."""
    import uuid
    from datetime import UTC, datetime

    import pyarrow as pa

    from featurevault._backends.registry.base import MetricPoint
    from featurevault._quality.quarantine import QuarantineBatch, entries_of

    registry, now = admin.registry.registry, datetime.now(UTC)
    for run in range(runs):
        at = now - timedelta(hours=runs - run)
        points = []
        for v in range(views):
            name = f"view_{v:04d}"
            points += [
                MetricPoint(name, "", "freshness", at, 600.0 + v),
                MetricPoint(name, "", "materialization_age", at, 60.0),
            ]
            points += [
                MetricPoint(name, f"f{f:02d}", m, at, 0.01 * f)
                for f in range(1, features)
                for m in ("psi", "js", "ks", "null_rate")
            ]
        registry.record_metrics(admin.project, points)
    for v in range(0, views, 10):
        table = pa.table({"key_0": [v], "ts": [now], "f01": [-1.0], "__fv_rule": ["f01_positive"]})
        batch = QuarantineBatch(f"view_{v:04d}", "online", "materialize", uuid.uuid4().hex, "bench", uuid.uuid4().hex)
        admin.quarantine.add(entries_of(batch, table, "__fv_rule"))
    admin.monitor_baseline("view_0500", now - timedelta(days=3650), now)
    admin.profile("view_0500")


def timed(client: Any, path: str, token: str, iterations: int) -> dict[str, float]:
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:200]}"
    first = samples[0]
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
        "first_ms": first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ui")
    parser.add_argument("--views", type=int, default=1000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args()
    from featurevault._server import create_app
    from tests.unit.server.testclient import TestClient

    with tempfile.TemporaryDirectory() as tmp:
        store, token = build(Path(tmp) / "repo", args.views, args.features)
        pages = {
            "floor GET /feature-views (JSON)": "/feature-views",
            "overview": "/ui/",
            **{f"list {kind}": f"/ui/list/{kind}" for kind in ("entities", "feature-views", "feature-services")},
            "detail feature view": "/ui/list/feature-views/view_0500",
            "detail entity": "/ui/list/entities/entity_3",
            "detail feature service": "/ui/list/feature-services/service_25",
            "history": "/ui/history",
            "freshness board": "/ui/freshness",
            "alerts (100, runbooks)": "/ui/alerts",
            "quality list": "/ui/quality",
            "quality of a view": "/ui/quality/view_0500",
            "sparklines of a view (JSON)": "/ui/api/sparklines/view_0500",
            "lint": "/ui/lint",
            "readiness": "/ui/readiness",
            "backups": "/ui/backups",
        }
        #: pages that need more than DESCRIBE: fetched as an admin
        admin_pages = {
            "quarantine of a view": "/ui/quality/view_0500/quarantine",
            "audit (first page)": "/ui/audit",
        }
        with TestClient(create_app(store)) as client:
            results = {name: timed(client, path, token, args.iterations) for name, path in pages.items()}
            admin = os.environ["BENCH_UI_ADMIN_TOKEN"]
            results |= {name: timed(client, path, admin, args.iterations) for name, path in admin_pages.items()}
        store.close()
    floor = results["floor GET /feature-views (JSON)"]["median_ms"]
    print(f"{args.views} views x {args.features} features, {args.iterations} requests per page")
    print(f"{'page':36} {'median ms':>10} {'p99 ms':>8} {'x floor':>8} {'first ms':>9}")
    for name, r in results.items():
        print(f"{name:36} {r['median_ms']:10.1f} {r['p99_ms']:8.1f} {r['median_ms'] / floor:8.2f} {r['first_ms']:9.1f}")
    slow = [name for name, r in results.items() if not name.startswith("floor") and r["median_ms"] >= TARGET_MS]
    print("all pages under 200 ms (median)" if not slow else f"over 200 ms: {', '.join(slow)}")


if __name__ == "__main__":
    main()
