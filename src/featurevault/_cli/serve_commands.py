"""``featurevault serve``: the HTTP feature server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from featurevault._cli.common import console, fail, state, styled


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 6566,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes.")] = 1,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", "--cert", help="PEM certificate; serves HTTPS.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", "--key", help="PEM private key of --tls-cert.")] = None,
    max_body_bytes: Annotated[
        int, typer.Option("--max-body-bytes", min=1, help="Larger request bodies are refused with 413.")
    ] = 8 * 1024 * 1024,
    graceful_timeout: Annotated[
        float, typer.Option("--graceful-timeout", help="Seconds to finish in-flight requests after SIGTERM.")
    ] = 30.0,
    no_access_log: Annotated[bool, typer.Option("--no-access-log", help="Do not write the JSON access log.")] = False,
    threaded_reads: Annotated[
        bool,
        typer.Option(
            "--threaded-reads",
            help="Read an embedded (SQLite) online store off the event loop too (slow on-demand views); "
            "network stores are always read off the loop.",
        ),
    ] = False,
    monitor: Annotated[
        str | None,
        typer.Option("--monitor", help="Also evaluate the alerts every INTERVAL (60s, 5m), as 'monitor run' does."),
    ] = None,
    online_timeout: Annotated[
        float,
        typer.Option(
            "--online-timeout", min=0.001, help="Seconds an online-store call may take; then 503 with Retry-After."
        ),
    ] = 1.0,
    keep_alive_timeout: Annotated[
        int, typer.Option("--keep-alive-timeout", min=1, help="Seconds an idle connection is kept open.")
    ] = 5,
    header_timeout: Annotated[
        float,
        typer.Option("--header-timeout", min=0.001, help="Seconds a client has to send a request's head; then 408."),
    ] = 10.0,
    body_timeout: Annotated[
        float,
        typer.Option("--body-timeout", min=0.001, help="Seconds a client has to send a request's body; then closed."),
    ] = 30.0,
    max_header_bytes: Annotated[
        int, typer.Option("--max-header-bytes", min=1024, help="Larger request heads are refused with 431.")
    ] = 64 * 1024,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Do not serve the web dashboard under /ui.")] = False,
) -> None:
    """Serve online features over HTTP (Feast-compatible routes, /metrics, /ready)."""
    for option, path in (("--tls-cert", tls_cert), ("--tls-key", tls_key)):
        if path is not None and not path.is_file():
            fail(f"{option} {path}: no such file")
    if (tls_cert is None) != (tls_key is None):
        fail("--tls-cert and --tls-key go together")
    from featurevault._config import load_repo_config
    from featurevault._model.alert_condition import parse_duration
    from featurevault._server import serve as run_server
    from featurevault._server.connections import ConnectionLimits

    monitor_seconds = parse_duration(monitor, "--monitor") if monitor else None

    load_repo_config(state.repo_path, str(state.config_file) if state.config_file else None)  # fail fast, in one line
    scheme = "https" if tls_cert else "http"
    console.print(
        styled("Serving ", (str(state.repo_path), "bold"), f" on {scheme}://{host}:{port} ({workers} worker(s))")
    )
    run_server(
        state.repo_path,
        fs_yaml_file=state.config_file,
        host=host,
        port=port,
        workers=workers,
        tls_cert=tls_cert,
        tls_key=tls_key,
        max_body_bytes=max_body_bytes,
        access_log=not no_access_log,
        threaded_reads=threaded_reads,
        graceful_timeout=graceful_timeout,
        monitor_interval_seconds=monitor_seconds,
        online_timeout=online_timeout,
        keep_alive_timeout=keep_alive_timeout,
        limits=ConnectionLimits(header_timeout, body_timeout, max_header_bytes),
        ui=not no_ui,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
