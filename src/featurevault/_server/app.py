"""Building the ASGI app around a FeatureStore, and running it with uvicorn.

``create_app(store)`` is what tests and embedders use. ``serve(...)`` is what
``featurevault serve`` runs: uvicorn with N worker processes, optional TLS, and
a graceful shutdown on SIGTERM (stop accepting, finish in-flight requests
within ``graceful_timeout`` seconds, close the store, exit 0). Workers build
their own store from the environment (:func:`app_from_env`), since a store's
connections cannot cross a fork.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, IO

from fastapi import FastAPI

from featurevault import __version__
from featurevault._config import DEFAULT_SERVER_MAX_ENTITY_ROWS
from featurevault._server import (
    health,
    lifecycle,
    metrics,
    monitoring,
    online,
    quality,
    readiness,
    recovery,
    registry,
    writes,
)
from featurevault._server.access_log import AccessLog
from featurevault._server.auth import Authenticator, Authorizer, for_store
from featurevault._server.errors import install_error_handlers
from featurevault._server.metrics import MULTIPROCESS_ENV, ServerMetrics
from featurevault._server.middleware import ServingMiddleware
from featurevault._server.offload import Offloader

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

logger = logging.getLogger(__name__)

DEFAULT_PORT = 6566
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_ONLINE_TIMEOUT = 1.0
DEFAULT_KEEP_ALIVE_TIMEOUT = 5
ENV_PREFIX = "FEATUREVAULT_SERVE_"


@dataclass(frozen=True)
class ServerSettings:
    """What the app itself needs to know (uvicorn's own options are in :func:`serve`)."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    access_log: bool = True
    #: close the store when the app shuts down (when the app built it)
    owns_store: bool = False
    #: also read an embedded (SQLite) online store off the event loop (network stores always are)
    threaded_reads: bool = False
    #: seconds an online-store call may take before the request gets 503 with Retry-After
    online_timeout_seconds: float = DEFAULT_ONLINE_TIMEOUT
    #: answer POST /get-online-features in the middleware, bypassing FastAPI routing (see middleware.py)
    fast_online: bool = True
    #: entity rows per online read; more are refused with 413 (None: the repo's limits.server_max_entity_rows)
    max_entity_rows: int | None = None
    #: serve the read-only web dashboard under /ui (featurevault._ui)
    ui: bool = True
    #: evaluate the alerts every this many seconds inside the server (``serve --monitor``); None: off
    monitor_interval_seconds: float | None = None


def create_app(
    store: FeatureStore,
    settings: ServerSettings | None = None,
    *,
    authenticate: Authenticator | None = None,
    authorize: Authorizer | None = None,
    access_log_stream: IO[str] | None = None,
) -> FastAPI:
    """The feature server for ``store``: Feast-compatible routes, metrics, health and registry views."""
    settings = settings or ServerSettings()
    access_log = AccessLog(access_log_stream)
    # Unless told otherwise, the store's own auth config and policies apply.
    default_authenticate, default_authorize = for_store(store)
    authenticate = authenticate or default_authenticate
    authorize = authorize or default_authorize

    offload = Offloader() if settings.threaded_reads or not _embedded(store) else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.access_log:
            access_log.start()
        _warm(store)
        loop_task = _start_monitor(app, store, settings)
        app.state.metrics.monitor_collector.values = monitoring.latest_values(store)
        stop_refresh = _refresh_registry_in_background(store)
        try:
            yield
        finally:
            stop_refresh()
            if loop_task is not None:
                loop_task.cancel()
            access_log.stop()
            if offload is not None:
                offload.close()
            if settings.owns_store:
                store.close()

    app = FastAPI(
        title="featurevault feature server",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.max_entity_rows = _max_entity_rows(store, settings)
    app.state.metrics = ServerMetrics(store)
    app.state.authenticate = authenticate
    app.state.authorize = authorize
    #: runs online-store calls off the event loop, with the online timeout (None: on the loop)
    app.state.offload = offload
    for module in (online, writes, registry, recovery, lifecycle, health, metrics, quality, monitoring, readiness):
        app.include_router(module.router)
    if settings.ui:
        from featurevault._ui import install as install_ui

        install_ui(app)
    install_error_handlers(app)
    app.add_middleware(
        ServingMiddleware,
        metrics=app.state.metrics,
        access_log=access_log,
        max_body_bytes=settings.max_body_bytes,
        fast_online=settings.fast_online,
    )
    return app


def _embedded(store: FeatureStore) -> bool:
    """True when the online store is a local file (SQLite in WAL mode: a read never waits on the network)."""
    try:
        return bool(getattr(store.online_store, "embedded", False))
    except Exception:  # a store that cannot be built yet is read off the loop
        return False


def _refresh_registry_in_background(store: FeatureStore) -> Callable[[], None]:
    """Requests then never wait for the registry: a daemon thread checks it every cache TTL.

    Returns what stops it again (nothing when it was already running: whoever started it stops it).
    """
    cache: Any = getattr(store, "registry", None)  # a registry cache, or a plain registry
    if not hasattr(cache, "start_background_refresh") or cache.refreshing_in_background:
        return lambda: None
    cache.start_background_refresh()
    stop: Callable[[], None] = cache.stop_background_refresh
    return stop


def _max_entity_rows(store: FeatureStore, settings: ServerSettings) -> int:
    """The settings' cap, else the repo's ``limits.server_max_entity_rows`` (test doubles have no config)."""
    if settings.max_entity_rows is not None:
        return settings.max_entity_rows
    config = getattr(store, "config", None)
    return config.limits.server_max_entity_rows if config is not None else DEFAULT_SERVER_MAX_ENTITY_ROWS


def _start_monitor(app: Any, store: FeatureStore, settings: ServerSettings) -> Any:
    if settings.monitor_interval_seconds is None:
        return None
    import asyncio

    logger.info("monitor: evaluating alerts every %g s", settings.monitor_interval_seconds)
    collector = app.state.metrics.monitor_collector
    return asyncio.get_running_loop().create_task(
        monitoring.monitor_loop(
            store, settings.monitor_interval_seconds, collector, app.state.metrics.online_read_latency
        )
    )


def _warm(store: FeatureStore) -> None:
    # Load the registry and open the online store before the first request, not during it.
    # A failure here is not fatal: /ready reports it and requests retry.
    try:
        store.registry.contents()
        store.online_store.ping()
    except Exception as exc:
        logger.warning("feature server started but the store is not ready: %s", exc)


def app_from_env() -> FastAPI:
    """Factory used by uvicorn workers: build the store from ``FEATUREVAULT_SERVE_*`` variables."""
    from featurevault._store import FeatureStore

    repo = os.environ.get(f"{ENV_PREFIX}REPO") or os.getcwd()
    yaml_file = os.environ.get(f"{ENV_PREFIX}YAML") or None
    store = FeatureStore(repo_path=repo, fs_yaml_file=yaml_file)
    settings = ServerSettings(
        max_body_bytes=int(os.environ.get(f"{ENV_PREFIX}MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
        access_log=os.environ.get(f"{ENV_PREFIX}ACCESS_LOG", "1") == "1",
        owns_store=True,
        threaded_reads=os.environ.get(f"{ENV_PREFIX}THREADED_READS", "0") == "1",
        monitor_interval_seconds=float(os.environ[f"{ENV_PREFIX}MONITOR"])
        if os.environ.get(f"{ENV_PREFIX}MONITOR")
        else None,
        online_timeout_seconds=float(os.environ.get(f"{ENV_PREFIX}ONLINE_TIMEOUT", DEFAULT_ONLINE_TIMEOUT)),
        ui=os.environ.get(f"{ENV_PREFIX}UI", "1") == "1",
    )
    return create_app(store, settings)


def _drained(signum: int, frame: Any) -> None:
    logger.info("feature server stopped after draining in-flight requests")


def serve(
    repo_path: str | Path,
    *,
    fs_yaml_file: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    workers: int = 1,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    access_log: bool = True,
    threaded_reads: bool = False,
    graceful_timeout: float = 30.0,
    log_level: str = "warning",
    monitor_interval_seconds: float | None = None,
    online_timeout: float = DEFAULT_ONLINE_TIMEOUT,
    keep_alive_timeout: int = DEFAULT_KEEP_ALIVE_TIMEOUT,
    limits: Any = None,
    ui: bool = True,
) -> None:
    """Run the feature server until SIGTERM/SIGINT, then drain in-flight requests and return.

    ``limits`` (a :class:`~featurevault._server.connections.ConnectionLimits`) bounds slow clients.
    """
    import uvicorn

    from featurevault._server.connections import ConnectionLimits, limits_from_env

    if (tls_cert is None) != (tls_key is None):
        from featurevault.errors import ConfigError

        raise ConfigError("TLS needs both --tls-cert and --tls-key")
    os.environ[f"{ENV_PREFIX}REPO"] = str(Path(repo_path).resolve())
    if fs_yaml_file is not None:
        os.environ[f"{ENV_PREFIX}YAML"] = str(Path(fs_yaml_file).resolve())
    os.environ[f"{ENV_PREFIX}MAX_BODY_BYTES"] = str(max_body_bytes)
    os.environ[f"{ENV_PREFIX}ACCESS_LOG"] = "1" if access_log else "0"
    os.environ[f"{ENV_PREFIX}THREADED_READS"] = "1" if threaded_reads else "0"
    os.environ[f"{ENV_PREFIX}MONITOR"] = "" if monitor_interval_seconds is None else str(monitor_interval_seconds)
    os.environ[f"{ENV_PREFIX}ONLINE_TIMEOUT"] = repr(float(online_timeout))
    os.environ[f"{ENV_PREFIX}UI"] = "1" if ui else "0"
    os.environ.update((limits or ConnectionLimits()).to_env())  # read by each worker's protocol
    limits_from_env.cache_clear()
    # uvicorn drains on SIGTERM/SIGINT, then re-raises the signal to the handler that was there
    # before it started: make that one a no-op so that a drained shutdown returns here and exits 0.
    signal.signal(signal.SIGTERM, _drained)
    signal.signal(signal.SIGINT, _drained)
    metrics_dir = _shared_metrics_dir() if workers > 1 else None
    try:
        _run_uvicorn(uvicorn, host, port, workers, tls_cert, tls_key, graceful_timeout, log_level, keep_alive_timeout)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
            os.environ.pop(MULTIPROCESS_ENV, None)


def _shared_metrics_dir() -> str:
    # Workers are spawned (fresh interpreters), so they read this before importing prometheus_client.
    path = tempfile.mkdtemp(prefix="featurevault-metrics-")
    os.environ[MULTIPROCESS_ENV] = path
    return path


def _run_uvicorn(
    uvicorn: Any,
    host: str,
    port: int,
    workers: int,
    tls_cert: str | Path | None,
    tls_key: str | Path | None,
    graceful_timeout: float,
    log_level: str,
    keep_alive_timeout: int,
) -> None:
    from featurevault._server.connections import GuardedHttpToolsProtocol

    uvicorn.run(
        "featurevault._server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        timeout_graceful_shutdown=graceful_timeout,
        access_log=False,  # the app writes its own structured access log
        log_level=log_level,
        loop="auto",
        http=GuardedHttpToolsProtocol,  # idle, head and body deadlines (server/connections.py)
        timeout_keep_alive=keep_alive_timeout,
        server_header=False,
    )
