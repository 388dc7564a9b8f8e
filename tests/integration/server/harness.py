"""A feature repo with materialized data, and ``featurevault serve`` on it in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.support.repo_builder import RepoBuilder

FEAST_NAMED = Path(__file__).resolve().parents[2] / "fixtures" / "feast_named_features.py"

YAML = """project: srv
registry:
  path: data/registry.db
  cache_ttl_seconds: 1
provider: local
online_store:
  type: sqlite
  path: data/online_store.db
offline_store:
  type: duckdb
"""

# Appended to the demo repo: a push-fed view, and an on-demand view that sleeps for a requested time
# (the slow request of the draining test).
EXTRA_DEFINITIONS = """

driver_stats_fresh = FeatureView(
    name="driver_stats_fresh",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[
        Field(name="conv_rate", dtype=Float32),
        Field(name="acc_rate", dtype=Float32),
        Field(name="avg_daily_trips", dtype=Int64),
    ],
    source=driver_stats_push_source,
)

delay_request = RequestSource(name="delay", schema=[Field(name="delay_ms", dtype=Int64)])


@on_demand_feature_view(
    sources=[driver_hourly_stats, delay_request],
    schema=[Field(name="slow_conv_rate", dtype=Float64)],
    mode="python",
)
def slow_conv_rate(inputs: dict) -> dict:
    import time

    time.sleep(max(inputs["delay_ms"]) / 1000.0)
    return {"slow_conv_rate": [None if c is None else c * 2 for c in inputs["conv_rate"]]}


slow_v1 = FeatureService(name="slow_v1", features=[slow_conv_rate])
"""


def redis_yaml(key_prefix: str) -> str:
    """YAML with the online store on the local Redis, under a prefix of the test's own."""
    online = f"online_store:\n  type: redis\n  connection_string: 127.0.0.1:6379\n  key_prefix: {key_prefix}\n"
    return YAML.replace("online_store:\n  type: sqlite\n  path: data/online_store.db\n", online)


def make_repo(root: Path, yaml: str = YAML) -> Path:
    """The demo repo plus EXTRA_DEFINITIONS, applied and materialized up to now."""
    # Feast's quickstart definitions (driver_hourly_stats, transformed_conv_rate) over the demo's data.
    builder = (
        RepoBuilder(root / "repo")
        .with_scaffold()
        .with_yaml(yaml)
        .with_definitions(FEAST_NAMED.read_text() + EXTRA_DEFINITIONS)
    )
    with builder.build() as store:
        store.materialize_incremental(end_date=datetime.now(UTC))
    return builder.root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_command(repo: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "featurevault._cli.main", "-c", str(repo), *args]


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def serve(repo: Path, *extra: str, yaml_file: Path | None = None, scheme: str = "http") -> Iterator[RunningServer]:
    """``featurevault serve`` on a free port until the block ends (then SIGTERM, wait, kill if stuck)."""
    port = free_port()
    root = ["-f", str(yaml_file)] if yaml_file else []
    command = [*cli_command(repo, *root), "serve", "--port", str(port), *extra]
    log_path = repo.parent / f"serve-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
    server = RunningServer(f"{scheme}://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(server: RunningServer, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1.0, verify=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer /health within {timeout}s:\n{server.log()}")
