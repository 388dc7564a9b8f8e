import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from featurevault._backends.registry.sqlite import Store
from featurevault.errors import RegistryConflictError, RegistryError
from featurevault._ops.registry_cache import RegistryCache


def _registry(tmp_path: Path) -> Store:
    return Store(tmp_path / "registry.db")


def test_versions_history_and_load(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    assert reg.latest_version("p") == 0 and reg.load("p") is None
    assert reg.commit("p", {"entity": {"a": {}}}, expected_version=0, author="me", message="one") == 1
    assert reg.commit("p", {"entity": {}}, expected_version=1, author="me", message="two", meta={"x": 1}) == 2
    assert reg.load("p").contents == {"entity": {}}
    assert reg.load("p", 1).contents == {"entity": {"a": {}}}
    assert [v.message for v in reg.history("p")] == ["two", "one"]
    assert reg.history("p")[0].meta == {"x": 1}
    assert reg.latest_version("other") == 0


def test_stale_commit_conflicts_and_stores_nothing(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    reg.commit("p", {"v": 1}, expected_version=0, author="a", message="first")
    with pytest.raises(RegistryConflictError, match="re-run plan"):
        reg.commit("p", {"v": 2}, expected_version=0, author="b", message="racer")
    assert reg.load("p").contents == {"v": 1} and reg.latest_version("p") == 1


def _commit_from_process(path: str, queue: "multiprocessing.Queue[str]") -> None:
    reg = Store(Path(path))
    try:
        reg.commit("p", {"by": "proc"}, expected_version=0, author="x", message="race")
        queue.put("won")
    except RegistryConflictError:
        queue.put("conflict")


def test_two_processes_racing_one_wins(tmp_path: Path) -> None:
    _registry(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_commit_from_process, args=(str(tmp_path / "registry.db"), queue)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert sorted(queue.get(timeout=5) for _ in procs) == ["conflict", "won"]


def test_state_and_delete_project(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    reg.set_state("p", "materialization", "v1", {"end": "2024-01-01"})
    reg.set_state("q", "materialization", "v1", {"end": "x"})
    assert reg.get_state("p", "materialization") == {"v1": {"end": "2024-01-01"}}
    reg.set_state("p", "materialization", "v1", None)
    assert reg.get_state("p", "materialization") == {}
    reg.commit("p", {}, expected_version=0, author="a", message="m")
    reg.delete_project("p")
    assert reg.latest_version("p") == 0 and reg.get_state("q", "materialization") == {"v1": {"end": "x"}}


def test_migrations_run_once(tmp_path: Path) -> None:
    _registry(tmp_path).commit("p", {}, expected_version=0, author="a", message="m")
    assert _registry(tmp_path).latest_version("p") == 1


class _FlakyRegistry(Store):
    down = False

    def latest_version(self, project: str) -> int:
        if self.down:
            raise RegistryError("registry unreachable")
        return super().latest_version(project)

    def read_current(self, project: str, **kwargs: Any) -> Any:
        if self.down:
            raise RegistryError("registry unreachable")
        return super().read_current(project, **kwargs)


def test_cache_sees_other_writers_and_serves_stale_copy_when_down(tmp_path: Path) -> None:
    reg = _FlakyRegistry(tmp_path / "r.db")
    cache = RegistryCache(reg, "p", ttl_seconds=0)
    assert cache.contents().feature_views == {} and cache.version == 0
    Store(tmp_path / "r.db").commit("p", {"entity": {}}, expected_version=0, author="a", message="m")
    cache.contents()
    assert cache.version == 1 and not cache.stale
    reg.down = True
    cache.contents()
    assert cache.stale and cache.version == 1
    reg.down = False
    cache.contents()
    assert not cache.stale


def test_cache_first_load_failure_raises(tmp_path: Path) -> None:
    reg = _FlakyRegistry(tmp_path / "r.db")
    reg.down = True
    with pytest.raises(RegistryError):
        RegistryCache(reg, "p", ttl_seconds=0).contents()


def test_reads_give_up_after_the_read_timeout_while_another_process_locks_the_file(tmp_path: Path) -> None:
    import sqlite3
    import time

    from featurevault.errors import RegistryUnavailableError

    path = tmp_path / "r.db"
    registry = Store(path, read_timeout=0.3)
    registry.commit("p", {}, expected_version=0, author="a", message="m")
    registry.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO state VALUES ('p', 'n', 'k', '1')")
    for read in (lambda: registry.read_current("p", namespaces=("n",)), lambda: registry.latest_version("p")):
        start = time.monotonic()
        with pytest.raises(RegistryUnavailableError, match="registry.read_timeout_seconds"):
            read()
        assert time.monotonic() - start < 0.3 + 2.0  # not the 30 s a write may wait
    holder.execute("ROLLBACK")
    holder.close()
    assert registry.latest_version("p") == 1
    registry.close()
