"""``benchmarks.bench_recovery`` on a few hundred records, so that its code cannot rot.

No timing is asserted: only that featurevault and the floor both run on every backend (and every
Redis setting), that the restore gives back what the backup took, and that the run leaves nothing
behind on the servers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from benchmarks import bench_recovery

pytestmark = pytest.mark.integration


def _leftovers() -> list[bytes]:
    found = []
    for db in (0, 1):
        client = redis.Redis(host="127.0.0.1", port=6379, db=db)
        found += list(client.scan_iter(match=f"benchrec_{bench_recovery.RUN}*".encode(), count=1000))
        client.close()
    return found


@pytest.mark.parametrize(
    ("backend", "server"),
    [("sqlite", "shared"), ("postgres", "shared"), ("redis", "shared"), ("redis", "dedicated"), ("redis", "wiped")],
)
def test_every_backend_and_setting_runs_and_cleans_up(backend: str, server: str) -> None:
    result = bench_recovery.run_backend(backend, 300, 1, server)
    assert result["backend"] == backend and result["records"] == 300
    for rate in (
        "backup_records_per_s",
        "floor_dump_records_per_s",
        "restore_records_per_s",
        "floor_load_records_per_s",
    ):
        assert result[rate] > 0, rate
    assert result.get("redis_server", server) == server
    assert _leftovers() == []


def test_the_restore_gives_back_what_the_backup_took(tmp_path: Path) -> None:
    store = bench_recovery.build("sqlite", tmp_path)
    keys, values = bench_recovery.records(50)
    store.write(bench_recovery.TABLE, keys, values)
    dump, load = bench_recovery.featurevault_ops(store, tmp_path)
    dump()
    store.write(bench_recovery.TABLE, [b"after-the-backup"], [b"x"])
    load()
    restored = {k: v for ks, vs in store.scan(bench_recovery.TABLE) for k, v in zip(ks, vs)}
    assert restored == dict(zip(keys, values))
    store.close()
