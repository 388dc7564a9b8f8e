"""The server while its registry (PostgreSQL) or online store (Redis) hangs or is down.

Both are reached through a :class:`TcpProxy` that can stop answering
(``blackhole``), so the shared servers are never stopped. A hang lasts as long
as the backend's own timeout (``HANG`` seconds here); the server must answer
``/health`` and ``/metrics`` long before that, keep serving authenticated
reads from its registry copy, and answer a hanging online read with 503 and
``Retry-After`` at its online timeout.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from featurevault._governance.auth import TokenStore
from featurevault._ops.apply import apply_contents
from featurevault._ops.repo import load_repo
from featurevault._store import FeatureStore
from tests.integration.server.harness import RunningServer, make_repo, redis_yaml, serve
from tests.integration.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

HANG = 4.0  # seconds a blocked registry or Redis read waits before its own timeout
ONLINE_TIMEOUT = 1.0
MAX_STALENESS = 8.0
FEATURES = ["driver_hourly_stats:conv_rate"]
PG_URL = "postgresql://postgres@127.0.0.1:{port}/test?schema={schema}"

READERS = """

from featurevault._model import AuthzedAction, Permission, RoleBasedPolicy

readers = Permission(
    name="readers",
    types=["feature_view", "on_demand_feature_view", "feature_service"],
    actions=[AuthzedAction.READ_ONLINE, AuthzedAction.DESCRIBE],
    policy=RoleBasedPolicy(roles=["reader"]),
)
"""


@dataclass
class Outage:
    repo: Path
    served_yaml: Path
    registry_proxy: TcpProxy
    redis_proxy: TcpProxy
    token: str


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[Outage]:
    run = uuid.uuid4().hex[:8]
    schema, prefix = f"fvoutage_{run}", f"fvoutage_{run}_"
    registry_proxy, redis_proxy = TcpProxy("127.0.0.1", 5432), TcpProxy("127.0.0.1", 6379)
    registry = f"registry:\n  registry_type: sql\n  path: {PG_URL.format(port=5432, schema=schema)}\n"
    setup_yaml = redis_yaml(prefix).replace("registry:\n  path: data/registry.db\n  cache_ttl_seconds: 1\n", registry)
    repo = make_repo(tmp_path, setup_yaml)
    with (repo / "features.py").open("a") as f:
        f.write(READERS)
    with FeatureStore(repo_path=repo) as store:
        apply_contents(store, load_repo(repo))
        token = TokenStore(store.registry.registry, store.project).create("reader-bot", roles=["reader"])
    served = repo / "served.yaml"
    served.write_text(
        f"project: srv\nregistry:\n  registry_type: sql\n"
        f"  path: {PG_URL.format(port=registry_proxy.port, schema=schema)}\n"
        f"  cache_ttl_seconds: 0.5\n  read_timeout_seconds: {HANG}\n  max_staleness_seconds: {MAX_STALENESS}\n"
        f"online_store:\n  type: redis\n  connection_string: 127.0.0.1:{redis_proxy.port}\n  key_prefix: {prefix}\n"
        f"  read_timeout_seconds: {HANG}\n"
        "offline_store:\n  type: duckdb\nauth:\n  type: token\naudit:\n  sink: none\n"
    )
    yield Outage(repo, served, registry_proxy, redis_proxy, token)
    registry_proxy.close()
    redis_proxy.close()
    with FeatureStore(repo_path=repo) as store:
        store.teardown()
        store.registry.registry.delete_project("srv")
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def read(server: RunningServer, token: str, timeout: float = 30.0) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = httpx.post(
        server.url + "/get-online-features",
        json={"features": FEATURES, "entities": {"driver_id": [1001]}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )
    return response, time.monotonic() - start


class Load:
    """Authenticated reads sent back to back from a thread, so the server is busy with them throughout."""

    def __init__(self, server: RunningServer, token: str) -> None:
        self.server, self.token = server, token
        self.results: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response, elapsed = read(self.server, self.token)
                self.results.append((response.status_code, elapsed))
            except httpx.HTTPError:
                self.results.append((0, float("nan")))

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def probe_latencies(server: RunningServer, seconds: float) -> dict[str, list[float]]:
    """Latencies of /health and /metrics, sampled every 0.1 s for ``seconds``."""
    samples: dict[str, list[float]] = {"/health": [], "/metrics": []}
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=30.0) as client:
        while time.monotonic() < deadline:
            for path, latencies in samples.items():
                start = time.monotonic()
                assert client.get(server.url + path).status_code == 200
                latencies.append(time.monotonic() - start)
            time.sleep(0.1)
    return samples


def wait_for(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def metric(server: RunningServer, name: str) -> float:
    for line in httpx.get(server.url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


def assert_answered_long_before_the_hang_ends(samples: dict[str, list[float]], hang: float) -> None:
    for path, latencies in samples.items():
        worst = max(latencies)
        # a quiet machine answers in about a millisecond; a frozen event loop would take most of the hang
        assert worst < hang / 4, f"{path}: worst {worst:.3f}s, median {statistics.median(latencies):.4f}s, hang {hang}s"


def test_registry_hanging_then_down_keeps_serving_tokens_and_health(outage: Outage) -> None:
    with serve(outage.repo, "--online-timeout", str(ONLINE_TIMEOUT), yaml_file=outage.served_yaml) as server:
        response, _ = read(server, outage.token)
        assert response.status_code == 200, response.text
        assert response.json()["results"][1]["values"][0] is not None

        outage.registry_proxy.blackhole()
        with Load(server, outage.token) as load:
            samples = probe_latencies(server, HANG + 1.0)
        assert_answered_long_before_the_hang_ends(samples, HANG)
        statuses = [status for status, _ in load.results]
        assert statuses and set(statuses) == {200}, statuses  # every authenticated read served from the copy
        assert max(elapsed for _, elapsed in load.results) < HANG / 4

        ready = httpx.get(server.url + "/ready", timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "degraded", ready.text
        assert ready.json()["checks"]["registry"].startswith("stale") and ready.json()["registry"]["stale"] is True
        assert metric(server, "featurevault_registry_stale") == 1
        assert metric(server, "featurevault_registry_max_staleness_seconds") == MAX_STALENESS

        outage.registry_proxy.refuse()  # down, not hanging: still served from the copy
        assert read(server, outage.token)[0].status_code == 200

        wait_for(lambda: read(server, outage.token)[0].status_code == 503, MAX_STALENESS + 5)
        refused, elapsed = read(server, outage.token)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1" and elapsed < 1.0
        error = refused.json()["error"]
        assert error["type"] == "RegistryUnavailableError" and "registry.max_staleness_seconds" in error["message"]
        assert httpx.get(server.url + "/ready", timeout=10).status_code == 503
        assert "registry unreachable" in server.log() and "no longer served" in server.log()

        outage.registry_proxy.forward()
        wait_for(lambda: read(server, outage.token)[0].status_code == 200, 10)
        assert httpx.get(server.url + "/ready", timeout=10).json()["status"] == "ready"
        assert metric(server, "featurevault_registry_stale") == 0


def test_online_store_hanging_is_503_at_the_online_timeout_and_health_answers(outage: Outage) -> None:
    with serve(outage.repo, "--online-timeout", str(ONLINE_TIMEOUT), yaml_file=outage.served_yaml) as server:
        assert read(server, outage.token)[0].status_code == 200

        outage.redis_proxy.blackhole()
        with Load(server, outage.token) as load, Load(server, outage.token) as other:
            samples = probe_latencies(server, HANG + 1.0)
        assert_answered_long_before_the_hang_ends(samples, HANG)
        results = load.results + other.results
        assert results and {status for status, _ in results} == {503}, results
        assert max(elapsed for _, elapsed in results) < ONLINE_TIMEOUT + 1.5  # well before Redis's own timeout

        response, elapsed = read(server, outage.token)
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert response.json()["error"]["type"] == "OnlineStoreTimeoutError"
        assert "--online-timeout" in response.json()["error"]["message"]
        ready = httpx.get(server.url + "/ready", timeout=10)
        assert ready.status_code == 503 and ready.json()["error"]["detail"]["online_store"] != "ok"

        outage.redis_proxy.forward()
        wait_for(lambda: read(server, outage.token)[0].status_code == 200, HANG + 5)
