"""The registry cache: one snapshot per check, a bounded stale copy, background checks, cached tokens."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from featurevault import FeatureStore
from featurevault._backends.registry.sqlite import Store
from featurevault.errors import RegistryError, RegistryUnavailableError
from featurevault._governance.auth import TokenStore
from featurevault._model import Entity, RepoContents
from featurevault._ops import apply as apply_ops
from featurevault._ops.registry_cache import RegistryCache


def contents_with(*names: str) -> dict[str, Any]:
    contents = RepoContents()
    for name in names:
        contents.entities[name] = Entity(name=name, join_keys=[f"{name}_id"])
    return contents.to_dict()


class ControlledRegistry(Store):
    """A SQLite registry whose checks can fail (``down``) or hang until released (``hang``)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.down = False
        self.hang = threading.Event()
        self.release = threading.Event()
        self.checks = 0

    def read_current(self, project: str, **kwargs: Any) -> Any:
        self.checks += 1
        if self.hang.is_set():
            self.release.wait(30)
        if self.down:
            raise RegistryUnavailableError("registry unreachable")
        return super().read_current(project, **kwargs)


def test_stale_copy_serves_up_to_max_staleness_then_is_refused(tmp_path: Path) -> None:
    registry = ControlledRegistry(tmp_path / "r.db")
    registry.commit("p", contents_with("a"), expected_version=0, author="t", message="m")
    cache = RegistryCache(registry, "p", ttl_seconds=0.05, max_staleness_seconds=0.6)
    assert list(cache.contents().entities) == ["a"] and not cache.stale

    registry.down = True
    time.sleep(0.1)
    assert list(cache.contents().entities) == ["a"]  # the last good copy
    assert cache.stale and cache.status()["serving"] and "unreachable" in cache.status()["error"]
    time.sleep(0.6)
    with pytest.raises(RegistryUnavailableError, match="registry.max_staleness_seconds"):
        cache.contents()
    assert not cache.status()["serving"]

    registry.down = False
    time.sleep(0.06)
    assert list(cache.contents().entities) == ["a"] and not cache.stale and cache.status()["serving"]
    cache.close()


def test_no_staleness_limit_serves_the_last_copy_indefinitely(tmp_path: Path) -> None:
    registry = ControlledRegistry(tmp_path / "r.db")
    registry.commit("p", contents_with("a"), expected_version=0, author="t", message="m")
    cache = RegistryCache(registry, "p", ttl_seconds=0, max_staleness_seconds=None)
    cache.contents()
    registry.down = True
    time.sleep(0.05)
    assert list(cache.contents().entities) == ["a"] and cache.stale
    cache.close()


def test_background_checks_never_hold_up_readers_while_the_registry_hangs(tmp_path: Path) -> None:
    registry = ControlledRegistry(tmp_path / "r.db")
    registry.commit("p", contents_with("a"), expected_version=0, author="t", message="m")
    cache = RegistryCache(registry, "p", ttl_seconds=0.02, max_staleness_seconds=60)
    cache.start_background_refresh()
    deadline = time.monotonic() + 5
    while not cache.loaded and time.monotonic() < deadline:
        time.sleep(0.01)
    registry.hang.set()  # the next check blocks inside the registry
    checks = registry.checks
    while registry.checks == checks and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.monotonic()
    for _ in range(1000):
        version, contents = cache.versioned_contents()
    elapsed = time.monotonic() - start
    registry.release.set()
    assert version == 1 and list(contents.entities) == ["a"]
    assert elapsed < 0.5, f"1000 reads took {elapsed:.2f}s while a registry check hung"
    Store(tmp_path / "r.db").commit("p", contents_with("a", "b"), expected_version=1, author="t", message="m")
    registry.hang.clear()
    while cache.version != 2 and time.monotonic() < deadline + 5:
        time.sleep(0.01)
    assert cache.versioned_contents()[0] == 2 and set(cache.contents().entities) == {"a", "b"}
    cache.close()


def test_background_cache_without_a_copy_fails_fast_instead_of_reading(tmp_path: Path) -> None:
    registry = ControlledRegistry(tmp_path / "r.db")
    registry.down = True
    cache = RegistryCache(registry, "p", ttl_seconds=0.05)
    cache.start_background_refresh()
    time.sleep(0.1)
    with pytest.raises(RegistryUnavailableError, match="not loaded yet"):
        cache.contents()
    cache.close()


def test_first_load_failure_raises(tmp_path: Path) -> None:
    registry = ControlledRegistry(tmp_path / "r.db")
    registry.down = True
    with pytest.raises(RegistryError):
        RegistryCache(registry, "p", ttl_seconds=0).contents()


def test_a_plan_diffs_against_the_contents_of_its_own_base_version(tmp_path: Path) -> None:
    """Another apply lands between two registry checks of one plan: the plan must not mix the two versions."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "feature_store.yaml").write_text(
        "project: p\nregistry:\n  path: data/registry.db\n  cache_ttl_seconds: 0\nonline_store:\n"
        "  type: sqlite\n  path: data/online.db\n"
    )
    store = FeatureStore(repo_path=repo)
    other = Store(repo / "data" / "registry.db")
    other.commit("p", contents_with("a"), expected_version=0, author="t", message="m")
    raw = store.registry.registry
    checks = {"n": 0}

    def another_apply_lands_on_the_second_check(read: Any) -> Any:
        def check(*args: Any, **kwargs: Any) -> Any:
            checks["n"] += 1
            if checks["n"] == 2:
                other.commit("p", contents_with("a", "b"), expected_version=1, author="o", message="m")
            return read(*args, **kwargs)

        return check

    for name in ("latest_version", "read_current"):  # whichever a cache check calls
        if hasattr(raw, name):
            setattr(raw, name, another_apply_lands_on_the_second_check(getattr(raw, name)))
    desired = RepoContents.from_dict(contents_with("a", "c"))
    plan = apply_ops.plan(store, desired)
    base = RepoContents.from_dict(other.load("p", plan.base_version).contents)  # type: ignore[union-attr]
    expected = [str(change) for change in apply_ops.diff(base, plan.desired)]
    assert [str(change) for change in plan.changes] == expected, (plan.base_version, plan.changes)
    store.close()


def test_token_checks_read_the_cached_tokens_not_the_registry(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "feature_store.yaml").write_text(
        "project: p\nregistry:\n  path: data/registry.db\n  cache_ttl_seconds: 60\nauth:\n  type: token\n"
        "audit:\n  sink: none\n"
    )
    token = TokenStore(Store(repo / "data" / "registry.db"), "p").create("bot", roles=["reader"])
    store = FeatureStore(repo_path=repo)
    assert store.authenticate(token).name == "bot"

    def no_reads(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a token check read the registry")

    store.registry.registry.get_state = no_reads  # type: ignore[method-assign]
    store.registry.registry.read_current = no_reads  # type: ignore[method-assign]
    for _ in range(100):
        assert store.authenticate(token).name == "bot"
    store.close()


def test_a_token_created_after_the_server_started_works_at_once_and_garbage_is_rate_limited(tmp_path: Path) -> None:
    from featurevault._server import create_app
    from tests.unit.server.testclient import TestClient

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "feature_store.yaml").write_text(
        "project: p\nregistry:\n  path: data/registry.db\n  cache_ttl_seconds: 60\nauth:\n  type: token\n"
        "audit:\n  sink: none\n"
    )
    registry = Store(repo / "data" / "registry.db")
    registry.commit("p", contents_with("a"), expected_version=0, author="t", message="m")
    store = FeatureStore(repo_path=repo)
    with TestClient(create_app(store)) as client:
        assert client.get("/feature-views").status_code == 401  # no token at all
        token = TokenStore(registry, "p").create("late", roles=["r"])  # after the server loaded its copy
        raw = store.registry.registry
        checks = {"n": 0}
        read_current = raw.read_current

        def counted(*args: Any, **kwargs: Any) -> Any:
            checks["n"] += 1
            return read_current(*args, **kwargs)

        raw.read_current = counted  # type: ignore[method-assign]
        answer = client.get("/feature-views", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403, answer.text  # known now; this role may not describe
        assert checks["n"] == 1
        garbage = "fv1.nobody." + "A" * 43
        for _ in range(20):
            refused = client.get("/feature-views", headers={"Authorization": f"Bearer {garbage}"})
            assert refused.status_code == 401 and refused.json()["error"]["type"] == "AuthenticationError"
        assert checks["n"] <= 2  # garbage tokens do not turn into a registry read each
    store.close()
