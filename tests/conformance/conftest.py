"""Backends under conformance test: one fixture entry per backend.

Adding a backend to the suites means adding one entry to ``ONLINE_BACKENDS``
or ``REGISTRY_BACKENDS``. The Redis Cluster entry runs against a private
three-node cluster started from the installed ``redis-server``. Server backends use the real services
(``FEATUREVAULT_TEST_REDIS``, ``FEATUREVAULT_TEST_POSTGRES`` override where);
each test run gets its own Redis key prefix and PostgreSQL schema, removed at
the end. A service that cannot be reached fails the tests; it is not skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from featurevault._backends.online.base import OnlineStore
from featurevault._backends.registry.base import Registry
from featurevault._config import RegistryConfig

REDIS = os.environ.get("FEATUREVAULT_TEST_REDIS", "127.0.0.1:6379")
POSTGRES = os.environ.get("FEATUREVAULT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

RUN_ID = uuid.uuid4().hex[:10]
RUN_PREFIX = f"fvtest_{RUN_ID}:"
RUN_SCHEMA = f"fvtest_{RUN_ID}"

OnlineFactory = Callable[[str], OnlineStore]
RegistryFactory = Callable[[], Registry]


def _postgres_parts() -> dict[str, Any]:
    from urllib.parse import urlsplit

    url = urlsplit(POSTGRES)
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 5432,
        "database": url.path.lstrip("/") or "test",
        "user": url.username or "postgres",
        "password": url.password,
    }


# -- online stores ------------------------------------------------------------------------------

_CLUSTER: list[Any] = []  # started on first use, stopped at the end of the run


def _cluster_nodes() -> str:
    from tests.conformance.redis_cluster import LocalCluster

    if not _CLUSTER:
        _CLUSTER.append(LocalCluster())
    return _CLUSTER[0].connection_string


_PATIENT = {"connect_timeout_seconds": 5, "read_timeout_seconds": 10}
"""CI runs the suites on two busy cores, where the sub-second production defaults would flake; the
timeout and fault tests set their own"""

ONLINE_BACKENDS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "sqlite": lambda tmp: {"type": "sqlite", "path": str(tmp / "online.db")},
    "redis": lambda tmp: {"type": "redis", "connection_string": REDIS, "key_prefix": RUN_PREFIX, **_PATIENT},
    "redis_cluster": lambda tmp: {
        "type": "redis",
        "redis_type": "redis_cluster",
        "connection_string": _cluster_nodes(),
        "key_prefix": RUN_PREFIX,
        **_PATIENT,
    },
    "postgres": lambda tmp: {
        "type": "postgres",
        **_postgres_parts(),
        "db_schema": RUN_SCHEMA,
        "max_conn": 8,
        **_PATIENT,
    },
}
"""backend name -> its ``online_store`` section of feature_store.yaml, given the test's tmp dir"""


def online_section(backend: str, tmp: Path) -> dict[str, Any]:
    return {k: v for k, v in ONLINE_BACKENDS[backend](tmp).items() if v is not None}


def build_online(backend: str, tmp: Path, project: str) -> OnlineStore:
    from featurevault._config import backend_module

    section = online_section(backend, tmp)
    module = backend_module("online_store", section["type"])
    return module.Store.from_config(module.Config(**section), project=project, resolve=lambda p: tmp / p)


@pytest.fixture(params=sorted(ONLINE_BACKENDS))
def online_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def online_factory(online_backend: str, tmp_path: Path) -> Iterator[OnlineFactory]:
    """Build stores of one backend, for any project; each is pinged (a dead service fails) and closed."""
    stores: list[OnlineStore] = []

    def make(project: str) -> OnlineStore:
        store = build_online(online_backend, tmp_path, project)
        stores.append(store)
        store.ping()
        return store

    yield make
    for store in stores:
        for table in store.tables():
            store.drop(table)
        store.close()


@pytest.fixture
def project() -> str:
    return f"p_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def online(online_factory: OnlineFactory, project: str) -> OnlineStore:
    return online_factory(project)


# -- registries ---------------------------------------------------------------------------------


def registry_config(backend: str, tmp: Path) -> RegistryConfig:
    """A picklable description of a registry, so that other processes can open the same one."""
    if backend == "sqlite":
        return RegistryConfig(registry_type="file", path=str(tmp / "registry.db"))
    sep = "&" if "?" in POSTGRES else "?"
    return RegistryConfig(registry_type="sql", path=f"{POSTGRES}{sep}schema={RUN_SCHEMA}_registry")


def open_registry(config: RegistryConfig) -> Registry:
    from featurevault._config import backend_module

    module = backend_module("registry", config.registry_type)
    return module.Store.from_config(config, resolve=Path)


REGISTRY_BACKENDS = ("sqlite", "postgres")


@pytest.fixture(params=REGISTRY_BACKENDS)
def registry_config_of_backend(request: pytest.FixtureRequest, tmp_path: Path) -> RegistryConfig:
    return registry_config(request.param, tmp_path)


@pytest.fixture
def registry(registry_config_of_backend: RegistryConfig, project: str) -> Iterator[Registry]:
    store = open_registry(registry_config_of_backend)
    store.ping()
    yield store
    store.delete_project(project)
    store.close()


# -- cleanup of the run's namespaces ------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _remove_run_namespaces() -> Iterator[None]:
    yield
    _drop_postgres_schemas()
    _drop_redis_prefix()
    if _CLUSTER:
        _CLUSTER.pop().stop()


def _drop_postgres_schemas() -> None:
    import psycopg

    parts = _postgres_parts()
    with psycopg.connect(
        host=parts["host"],
        port=parts["port"],
        dbname=parts["database"],
        user=parts["user"],
        password=parts["password"],
        autocommit=True,
        connect_timeout=5,
    ) as conn:
        for schema in (RUN_SCHEMA, f"{RUN_SCHEMA}_registry"):
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _drop_redis_prefix() -> None:
    import redis

    host, _, port = REDIS.split(",")[0].rpartition(":")
    client = redis.Redis(host=host, port=int(port))
    keys = list(client.scan_iter(match=f"{RUN_PREFIX}*", count=1000))
    for start in range(0, len(keys), 1000):
        client.unlink(*keys[start : start + 1000])
    client.close()
