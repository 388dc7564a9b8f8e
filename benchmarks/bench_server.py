"""Feature server load: requests/s, p50 and p99 of ``featurevault serve`` under concurrent clients.

On loopback, against a real repo (one 20-feature view, materialized) on the
SQLite and Redis online stores, at concurrency 1, 8 and 32, for 1 entity and
for 100 entities x 20 features per request. The load generator is ``wrk``
when it is installed (one connection per concurrent client, keep-alive), else
a bounded asyncio httpx loop.

Floors, measured in the same run: the same request answered by a bare
uvicorn app that returns the same response bytes without touching a store
(the HTTP stack alone), and the in-process ``store.get_online_features`` call
(the store work alone).

    python -m benchmarks.bench_server [--seconds 3] [--backends sqlite,redis]

``BENCH_EXTRA_YAML`` is appended to the benchmark repo's feature_store.yaml, e.g. to compare
with the audit trail off: ``BENCH_EXTRA_YAML=$'audit:\n  sink: none\n'``.

Other benchmarks (a Feast comparison) can call :func:`measure_url` with any
server that speaks Feast's ``/get-online-features``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq

from benchmarks.suite.online_data import NOW, VIEW, feature_fields, make_rows
from benchmarks.suite.stats import free_port, percentile

CONCURRENCY = (1, 8, 32)
N_USERS = 10_000
REDIS_URL = "127.0.0.1:6379"


@dataclass
class LoadResult:
    label: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# -- the load generators ----------------------------------------------------------------------


def measure_url(url: str, body: dict[str, Any], concurrency: int, seconds: float, label: str = "") -> LoadResult:
    """POST ``body`` to ``url`` from ``concurrency`` clients for ``seconds``: wrk if present, else httpx."""
    if shutil.which("wrk"):
        return _wrk(url, body, concurrency, seconds, label)
    return asyncio.run(_httpx_load(url, body, concurrency, seconds, label))


_WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {body}
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.1f %.1f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
"""


def _wrk(url: str, body: dict[str, Any], concurrency: int, seconds: float, label: str) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT.replace("{body}", _lua_string(json.dumps(body))))
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "5s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, errors, micros, p50_us, p99_us = match.groups()
    return LoadResult(
        label, concurrency, int(requests), int(errors), int(micros) / 1e6, float(p50_us) / 1000, float(p99_us) / 1000
    )


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


async def _httpx_load(url: str, body: dict[str, Any], concurrency: int, seconds: float, label: str) -> LoadResult:
    payload = json.dumps(body).encode()
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=5.0) as client:
        stop = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                start = time.perf_counter()
                r = await client.post(url, content=payload, headers={"content-type": "application/json"})
                latencies.append(time.perf_counter() - start)
                errors += r.status_code != 200

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    p50, p99 = (percentile(latencies, 0.5), percentile(latencies, 0.99)) if latencies else (math.nan, math.nan)
    return LoadResult(label, concurrency, len(latencies), errors, elapsed, p50 * 1000, p99 * 1000)


# -- the repo and the servers -----------------------------------------------------------------


def _features_py(parquet: Path) -> str:
    fields = ", ".join(f'Field(name="{f.name}", dtype={f.dtype.name})' for f in feature_fields())
    return textwrap.dedent(f"""
        from datetime import timedelta
        from featurevault import Entity, FeatureView, Field, FileSource
        from featurevault.types import Float32, Float64, Int64, String

        user = Entity(name="user", join_keys=["user_id"])
        source = FileSource(name="user_source", path="{parquet}", timestamp_field="event_timestamp")
        {VIEW} = FeatureView(name="{VIEW}", entities=[user], ttl=timedelta(days=3650), schema=[{fields}], source=source)
    """)


def make_repo(root: Path, backend: str) -> Path:
    """A repo with one 20-feature view over N_USERS users, applied and materialized."""
    from featurevault._ops.apply import apply_contents
    from featurevault._ops.repo import load_repo
    from featurevault._store import FeatureStore

    repo = root / backend
    (repo / "data").mkdir(parents=True)
    parquet = repo / "data" / "users.parquet"
    pq.write_table(make_rows(N_USERS), parquet)
    online = (
        "  type: sqlite\n  path: data/online.db\n"
        if backend == "sqlite"
        else f"  type: redis\n  connection_string: {REDIS_URL}\n  key_prefix: bench_server_{os.getpid()}_\n"
    )
    (repo / "feature_store.yaml").write_text(
        f"project: bench_server\nregistry: data/registry.db\nprovider: local\nonline_store:\n{online}"
        + os.environ.get("BENCH_EXTRA_YAML", "")
    )
    (repo / "features.py").write_text(_features_py(parquet))
    with FeatureStore(repo_path=repo) as store:
        apply_contents(store, load_repo(repo))
        store.materialize(NOW - timedelta(days=3), NOW + timedelta(days=1))
    return repo


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), robust to other load on the machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_with_cpu(
    pid: int, url: str, body: dict[str, Any], concurrency: int, seconds: float, label: str
) -> tuple[LoadResult, float]:
    """A load measurement and the server's CPU milliseconds per request during it."""
    before = cpu_seconds(pid)
    result = measure_url(url, body, concurrency, seconds, label)
    used = cpu_seconds(pid) - before
    return result, used * 1000 / result.requests if result.requests else float("nan")


@contextmanager
def running(command: list[str], url: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited: {process.stderr.read() if process.stderr else ''}")
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not come up")
            time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def serve_command(repo: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "featurevault._cli.main",
        "-c",
        str(repo),
        "serve",
        "--port",
        str(port),
        "--no-access-log",
    ]


FLOOR_APP = textwrap.dedent("""
    import sys
    import uvicorn

    BODIES = {}

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        answer = b'{"status":"ok"}' if scope["path"] == "/health" else BODIES.get(body, b"{}")
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    import json
    for line in open(sys.argv[2], "rb"):
        request, response = json.loads(line)
        BODIES[request.encode()] = response.encode()
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
                server_header=False)
""")


# -- the run ----------------------------------------------------------------------------------


def scenarios() -> dict[str, dict[str, Any]]:
    refs = [f"{VIEW}:{f.name}" for f in feature_fields()]
    return {
        "1 entity x 20": {"features": refs, "entities": {"user_id": [17]}},
        "100 entities x 20": {"features": refs, "entities": {"user_id": list(range(100, 10_000, 99))[:100]}},
    }


def in_process_ms(repo: Path, body: dict[str, Any], iterations: int = 500) -> tuple[float, float]:
    from featurevault._store import FeatureStore

    with FeatureStore(repo_path=repo) as store:
        for _ in range(20):
            store.get_online_features(body["features"], body["entities"])
        samples = []
        for _ in range(iterations):
            start = time.perf_counter()
            store.get_online_features(body["features"], body["entities"])
            samples.append(time.perf_counter() - start)
    return percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000


Row = tuple[str, LoadResult, float, LoadResult, float, tuple[float, float]]


def run_backend(root: Path, backend: str, seconds: float) -> list[Row]:
    repo = make_repo(root, backend)
    port, floor_port = free_port(), free_port()
    url, floor_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
    rows: list[Row] = []
    try:
        with running(serve_command(repo, port), url) as server_process:
            answers = root / f"answers-{backend}.jsonl"
            with answers.open("w") as f:
                for body in scenarios().values():
                    request = json.dumps(body)
                    response = httpx.post(url + "/get-online-features", content=request, timeout=5).text
                    f.write(json.dumps([request, response]) + "\n")
            floor_script = root / "floor_app.py"
            floor_script.write_text(FLOOR_APP)
            with running(
                [sys.executable, str(floor_script), str(floor_port), str(answers)], floor_url
            ) as floor_process:
                for name, body in scenarios().items():
                    store_ms = in_process_ms(repo, body)
                    for c in CONCURRENCY:
                        measure_url(url + "/get-online-features", body, c, 1, "warm-up")
                        # interleave server and floor so both see the same machine state
                        server, server_cpu = measure_with_cpu(
                            server_process.pid, url + "/get-online-features", body, c, seconds, f"{backend} {name}"
                        )
                        floor, floor_cpu = measure_with_cpu(
                            floor_process.pid, floor_url + "/get-online-features", body, c, seconds, "floor"
                        )
                        rows.append((name, server, server_cpu, floor, floor_cpu, store_ms))
    finally:
        if backend == "redis":
            from featurevault._store import FeatureStore

            with FeatureStore(repo_path=repo) as store:
                store.teardown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="load duration per measurement")
    parser.add_argument("--backends", default="sqlite,redis")
    args = parser.parse_args()
    generator = "wrk" if shutil.which("wrk") else "asyncio httpx"
    print(f"load generator: {generator}; {args.seconds:g}s per point; 1 server worker; loopback")
    header = (
        f"{'backend':8} {'request':18} {'conc':>4} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>6} | "
        f"{'floor req/s':>11} {'p50':>5} {'p99':>6} {'cpu ms':>6} | {'store p50':>9} {'p99':>6} | {'err':>3}"
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            for name, s, s_cpu, f, f_cpu, (store_p50, store_p99) in run_backend(Path(tmp), backend, args.seconds):
                print(
                    f"{backend:8} {name:18} {s.concurrency:>4} {s.rps:>7.0f} {s.p50_ms:>7.2f} {s.p99_ms:>7.2f} "
                    f"{s_cpu:>6.3f} | {f.rps:>11.0f} {f.p50_ms:>5.2f} {f.p99_ms:>6.2f} {f_cpu:>6.3f} | "
                    f"{store_p50:>9.3f} {store_p99:>6.3f} | {s.errors:>3}"
                )
                sys.stdout.flush()
    print("floor: bare uvicorn returning the same bytes (HTTP stack alone); store: in-process get_online_features;")
    print("cpu ms: the server process's CPU time per request (insensitive to other load on the machine)")


if __name__ == "__main__":
    main()
