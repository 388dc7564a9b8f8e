"""``featurevault ui``: the read-only web dashboard (the feature server, pages at /ui)."""

from __future__ import annotations

from typing import Annotated

import typer

from featurevault._cli.common import console, state

DEFAULT_UI_PORT = 8888


def ui(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = DEFAULT_UI_PORT,
) -> None:
    """Serve the web dashboard: registry, lineage and health in a browser (read-only)."""
    from featurevault._config import load_repo_config
    from featurevault._server import serve as run_server

    load_repo_config(state.repo_path, str(state.config_file) if state.config_file else None)  # fail fast
    console.print(f"Dashboard for {state.repo_path} on http://{host}:{port}/ui/")
    run_server(state.repo_path, fs_yaml_file=state.config_file, host=host, port=port, ui=True)


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)
