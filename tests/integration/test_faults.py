"""Faults on the real Redis and PostgreSQL: servers going away, killed connections, bad settings.

The shared servers are never stopped: stores talk to them through a
:class:`TcpProxy` that can stop answering or hang up, and connections are
killed with ``CLIENT KILL`` / ``pg_terminate_backend`` picked by their
client port, so other test runs are untouched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from featurevault._backends.online.base import OnlineStore
from featurevault.errors import BackendError, BackendUnavailableError, FeatureVaultError, RegistryError
from tests.integration.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
PG = {"host": "127.0.0.1", "port": 5432, "database": "test", "user": "postgres"}
RUN = uuid.uuid4().hex[:10]
SCHEMA = f"fvfault_{RUN}"
PREFIX = f"fvfault_{RUN}:"
READ_TIMEOUT = 0.3
SLACK = 1.0  # scheduling on a loaded 2-core machine


def redis_store(port: int, **options: Any) -> OnlineStore:
    from featurevault._backends.online import redis

    settings = {"connection_string": f"127.0.0.1:{port}", "key_prefix": PREFIX, "read_timeout_seconds": READ_TIMEOUT}
    config = redis.Config(**{**settings, **options})
    return redis.Store(config, project="faults")


def postgres_store(port: int, **options: Any) -> OnlineStore:
    from featurevault._backends.online import postgres

    settings = {**PG, "port": port, "db_schema": SCHEMA, "read_timeout_seconds": READ_TIMEOUT, **options}
    return postgres.Store(postgres.Config(**settings), project="faults")


def kill_redis_connections(ports: list[int]) -> int:
    import redis

    admin = redis.Redis(REDIS_HOST, REDIS_PORT)
    killed = 0
    for port in ports:
        try:
            killed += admin.client_kill_filter(_type=None, addr=f"127.0.0.1:{port}")
        except redis.ResponseError:  # already gone
            pass
    admin.close()
    return killed


def kill_postgres_connections(ports: list[int]) -> int:
    import psycopg

    with psycopg.connect(
        host=PG["host"], port=PG["port"], dbname=PG["database"], user=PG["user"], autocommit=True
    ) as c:
        rows = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY(%s) "
            "AND client_addr = '127.0.0.1'",
            (ports,),
        ).fetchall()
    return len(rows)


@pytest.fixture(scope="module", autouse=True)
def _drop_run_schemas() -> Iterator[None]:
    yield
    import psycopg

    with psycopg.connect(
        host=PG["host"], port=PG["port"], dbname=PG["database"], user=PG["user"], autocommit=True
    ) as c:
        for schema in (SCHEMA, f"{SCHEMA}_registry"):
            c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


BACKENDS: dict[str, tuple[int, Callable[..., OnlineStore], Callable[[list[int]], int]]] = {
    "redis": (REDIS_PORT, redis_store, kill_redis_connections),
    "postgres": (PG["port"], postgres_store, kill_postgres_connections),
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[TcpProxy, Callable[..., OnlineStore], Any]]:
    port, build, kill = BACKENDS[request.param]
    proxy = TcpProxy("127.0.0.1", port)
    stores: list[OnlineStore] = []

    def make(**options: Any) -> OnlineStore:
        store = build(proxy.port, **options)
        stores.append(store)
        return store

    yield proxy, make, kill
    proxy.close()
    for store in stores:
        store.close()
    cleanup = build(port)
    for table in cleanup.tables():
        cleanup.drop(table)
    cleanup.close()


def timed(call: Callable[[], Any]) -> tuple[float, BaseException | None]:
    start = time.monotonic()
    try:
        call()
    except BaseException as exc:  # noqa: BLE001 - returned to the test
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


def test_server_going_away_during_read_fails_fast_then_recovers(backend: Any) -> None:
    proxy, make, _ = backend
    store = make()
    store.write("fv", [b"k"], [b"v"])
    assert store.read("fv", [b"k"]) == [b"v"]

    proxy.blackhole()
    elapsed, error = timed(lambda: store.read("fv", [b"k"]))
    assert isinstance(error, BackendUnavailableError), error
    assert elapsed < READ_TIMEOUT * 2 + SLACK
    assert "\n" not in str(error) and "timed out" in str(error) and "read_timeout_seconds" in str(error)

    proxy.refuse()
    elapsed, error = timed(lambda: store.read("fv", [b"k"]))
    assert isinstance(error, FeatureVaultError), error
    assert elapsed < 3 + SLACK  # connect timeout

    proxy.forward()
    assert store.read("fv", [b"k"]) == [b"v"]  # no restart needed


def test_killed_connections_are_replaced(backend: Any) -> None:
    proxy, make, kill = backend
    store = make()
    store.write("fv", [b"k"], [b"v"])
    assert store.read("fv", [b"k"]) == [b"v"]
    assert kill(proxy.upstream_ports) >= 1
    time.sleep(0.1)
    assert store.read("fv", [b"k"]) == [b"v"]  # one fresh retry of an idempotent read
    store.write("fv", [b"k"], [b"v2"])
    assert store.read("fv", [b"k"]) == [b"v2"]


def test_server_going_away_during_write_then_rerun_completes(backend: Any) -> None:
    proxy, make, _ = backend
    # Reads here move 5 MB through the proxy: give them time on a loaded machine. What this test
    # times out is the write; the short read timeout of the other tests would make it flaky.
    store = make(write_timeout_seconds=10, read_timeout_seconds=30)
    n = 20_000
    keys = [f"key{i}".encode() for i in range(n)]
    old = [b"old-" * 64] * n
    new = [b"new-" * 64] * n
    store.write("fv", keys, old)

    errors: list[BaseException] = []
    writing = threading.Event()
    stop = threading.Event()

    def write_new() -> None:
        try:
            # keep writing until the cut fails a write: the cut then lands during a write or between
            # two, whatever the scheduling, and never after the writer has given up
            while not stop.is_set():
                writing.set()
                store.write("fv", keys, new)
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    writer = threading.Thread(target=write_new)
    writer.start()
    assert writing.wait(30)
    proxy.refuse()
    writer.join(timeout=60)
    stop.set()
    assert not writer.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], BackendError), errors
    assert "\n" not in str(errors[0])

    proxy.forward()
    values = store.read("fv", keys)
    assert set(values) <= {old[0], new[0]}  # each record whole: old or new, never a mix
    store.write("fv", keys, new)  # the re-run completes
    assert store.read("fv", keys) == new


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_restore_replaces_a_connection_killed_midway_then_reruns_after_a_cut(backend: Any) -> None:
    """A Redis restore streams its writes on one connection: killed once, it is replaced and the chunks
    not yet answered are sent again; cut for good, the restore fails in one line and a rerun completes."""
    proxy, make, kill = backend
    store = make(write_timeout_seconds=10, read_timeout_seconds=30, write_batch_size=500)
    keys = [f"key{i:05d}".encode() for i in range(20_000)]
    store.write("fv", [*keys, b"stale"], [b"old"] * (len(keys) + 1))
    batches = [(keys[i : i + 5_000], [b"new"] * 5_000) for i in range(0, len(keys), 5_000)]
    snapshot = {"fv": lambda: iter(batches)}

    def kill_after_first_batch(table: str, count: int) -> None:
        if count == 5_000:
            assert kill(proxy.upstream_ports) >= 1

    assert store.restore_in_place(snapshot, kill_after_first_batch) == {"fv": 20_000}  # type: ignore[attr-defined]
    assert store.read("fv", keys) == [b"new"] * len(keys) and store.read("fv", [b"stale"]) == [None]

    store.write("fv", [b"stale"], [b"old"])

    def cut_after_first_batch(table: str, count: int) -> None:
        if count == 5_000:
            proxy.refuse()

    error = one_line_error(lambda: store.restore_in_place(snapshot, cut_after_first_batch))  # type: ignore[attr-defined]
    assert "write" in error and "redis" in error
    proxy.forward()
    assert store.restore_in_place(snapshot) == {"fv": 20_000}  # type: ignore[attr-defined]
    assert store.read("fv", keys) == [b"new"] * len(keys) and store.read("fv", [b"stale"]) == [None]


# -- bad settings: one line naming the setting -------------------------------------------------


def one_line_error(call: Callable[[], Any]) -> str:
    with pytest.raises(FeatureVaultError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text
    return text


def test_redis_unknown_database_names_the_setting() -> None:
    store = redis_store(REDIS_PORT, connection_string=f"127.0.0.1:{REDIS_PORT},db=4000")
    text = one_line_error(lambda: store.read("fv", [b"k"]))
    assert "online_store.connection_string db=" in text
    store.close()


def test_redis_tls_misconfiguration_names_the_setting() -> None:
    store = redis_store(REDIS_PORT, connection_string=f"127.0.0.1:{REDIS_PORT},ssl=true")
    text = one_line_error(lambda: store.read("fv", [b"k"]))
    assert "ssl=" in text and "online_store.connection_string" in text
    store.close()


@pytest.fixture
def redis_with_password(tmp_path: Path) -> Iterator[int]:
    """A private redis-server on a free port that requires a password (the shared one has none)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed"
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--requirepass",
            "right",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_wrong_password_names_the_setting(redis_with_password: int) -> None:
    port = redis_with_password
    wrong = redis_store(port, connection_string=f"127.0.0.1:{port},password=wrong")
    text = one_line_error(lambda: wrong.read("fv", [b"k"]))
    assert "password rejected" in text and "online_store.connection_string password=" in text
    assert "password=wrong" not in text  # no secret echoed
    wrong.close()
    right = redis_store(port, connection_string=f"127.0.0.1:{port},password=right")
    right.write("fv", [b"k"], [b"v"])
    assert right.read("fv", [b"k"]) == [b"v"]
    right.close()


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("database", "no_such_database_fv", "online_store.database"),
        ("user", "no_such_user_fv", "online_store.user"),
        ("sslmode", "require", "online_store.sslmode"),
    ],
)
def test_postgres_bad_settings_name_the_setting(setting: str, value: str, named: str) -> None:
    store = postgres_store(PG["port"], **{setting: value})
    text = one_line_error(lambda: store.read("fv", [b"k"]))
    assert named in text
    store.close()


def test_postgres_wrong_password_message_names_the_setting() -> None:
    # the shared server trusts loopback, so the server's own message is fed to the translation
    from featurevault._backends._postgres import connection_error, psycopg
    from featurevault._backends.online.postgres import SETTINGS

    exc = psycopg.OperationalError('connection failed: FATAL:  password authentication failed for user "app"')
    error = connection_error(exc, where="postgres online store", settings=SETTINGS)
    assert "online_store.password" in str(error) and "\n" not in str(error)


def test_postgres_registry_unreachable_fails_fast() -> None:
    from featurevault._backends.registry.postgres import Store

    proxy = TcpProxy("127.0.0.1", PG["port"])
    proxy.refuse()
    registry = Store(f"postgresql://postgres@127.0.0.1:{proxy.port}/test?schema={SCHEMA}_registry")
    elapsed, error = timed(lambda: registry.latest_version("p"))
    assert isinstance(error, RegistryError) and isinstance(error, BackendUnavailableError), error
    assert elapsed < 2 + SLACK
    registry.close()
    proxy.close()


def test_registry_cache_serves_last_good_copy_while_postgres_is_unreachable() -> None:
    from featurevault._backends.registry.postgres import Store
    from featurevault._model import Entity, RepoContents
    from featurevault._ops.registry_cache import RegistryCache

    proxy = TcpProxy("127.0.0.1", PG["port"])
    registry = Store(f"postgresql://postgres@127.0.0.1:{proxy.port}/test?schema={SCHEMA}_registry")
    contents = RepoContents()
    contents.entities["driver"] = Entity(name="driver", join_keys=["driver_id"])
    registry.commit("cached", contents.to_dict(), expected_version=0, author="t", message="m")
    cache = RegistryCache(registry, "cached", ttl_seconds=0)
    assert list(cache.contents().entities) == ["driver"] and not cache.stale

    proxy.refuse()
    elapsed, error = timed(lambda: cache.refresh(force=True))
    assert error is None and elapsed < 2 + SLACK
    assert cache.stale and cache.version == 1
    assert list(cache.contents().entities) == ["driver"]  # reads keep working from the last good copy

    proxy.forward()
    cache.refresh(force=True)
    assert not cache.stale
    registry.delete_project("cached")
    cache.close()
    proxy.close()


@pytest.mark.parametrize("backend_name", sorted(BACKENDS))
def test_materialize_while_the_server_is_gone_fails_then_a_rerun_completes(backend_name: str, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from featurevault import FeatureStore
    from featurevault._ops.apply import apply_contents
    from featurevault._ops.repo import load_repo
    from tests.support.repo_builder import RepoBuilder
    from tests.unit.test_end_to_end import FEAST_STYLE_REPO

    port = BACKENDS[backend_name][0]
    proxy = TcpProxy("127.0.0.1", port)
    online = {
        "redis": f'  type: redis\n  connection_string: "127.0.0.1:{proxy.port}"\n  key_prefix: "{PREFIX}"\n'
        "  write_timeout_seconds: 2\n",
        "postgres": f"  type: postgres\n  host: 127.0.0.1\n  port: {proxy.port}\n  database: test\n"
        f"  db_schema: {SCHEMA}\n  write_timeout_seconds: 2\n",
    }[backend_name]
    repo = (
        RepoBuilder(tmp_path / "repo")
        .with_scaffold()
        .with_yaml(
            f"project: faults_{backend_name}\nregistry: data/registry.db\nprovider: local\nonline_store:\n{online}"
        )
        .with_file("features.py", FEAST_STYLE_REPO)
        .write()
    )
    store = FeatureStore(repo_path=repo)
    apply_contents(store, load_repo(repo))
    now = datetime.now(timezone.utc)

    proxy.refuse()
    elapsed, error = timed(lambda: store.materialize_incremental(end_date=now))
    assert isinstance(error, FeatureVaultError) and "\n" not in str(error), error
    assert elapsed < 10
    assert store.registry.registry.get_state(store.project, "materialization") == {}  # no watermark moved

    proxy.forward()
    store.materialize_incremental(end_date=now)  # the re-run completes
    values = store.get_online_features(["driver_hourly_stats:conv_rate"], [{"driver_id": 1001}]).to_dict()
    assert values["conv_rate"][0] is not None
    store.teardown()
    store.close()
    proxy.close()


def test_postgres_registry_reads_time_out_while_the_server_hangs() -> None:
    from featurevault._backends.registry.postgres import Store
    from featurevault.errors import RegistryUnavailableError

    proxy = TcpProxy("127.0.0.1", PG["port"])
    registry = Store(f"postgresql://postgres@127.0.0.1:{proxy.port}/test?schema={SCHEMA}_registry", read_timeout=0.5)
    registry.commit("hang", {}, expected_version=0, author="t", message="m")
    proxy.blackhole()
    elapsed, error = timed(lambda: registry.read_current("hang", namespaces=("tokens",)))
    assert isinstance(error, RegistryUnavailableError), error
    assert "registry.read_timeout_seconds" in str(error) and elapsed < 0.5 + SLACK
    reads = [
        lambda: registry.latest_version("hang"),
        lambda: registry.load("hang"),
        lambda: registry.history("hang"),
        lambda: registry.get_state("hang", "tokens"),
    ]
    for call in reads:  # each bounded: the read timeout, or the connect timeout of a fresh connection
        elapsed, error = timed(call)
        assert isinstance(error, RegistryUnavailableError), error
        assert elapsed < 2 + SLACK

    proxy.forward()
    assert registry.latest_version("hang") == 1  # connected again
    proxy.blackhole()
    writer = threading.Thread(target=lambda: timed(lambda: registry.set_state("hang", "n", "k", 1)))
    writer.start()  # a write now holds the registry's connection, waiting for an answer
    time.sleep(0.1)
    elapsed, error = timed(lambda: registry.get_state("hang", "n"))
    assert isinstance(error, RegistryUnavailableError) and "busy" in str(error), error
    assert elapsed < 0.5 + SLACK  # a read does not queue behind the write's longer deadline
    proxy.cut()
    writer.join(timeout=15)
    proxy.forward()
    assert registry.latest_version("hang") == 1
    registry.delete_project("hang")
    registry.close()
    proxy.close()
