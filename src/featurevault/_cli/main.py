"""The ``featurevault`` command: a thin shell that parses, calls the library and renders.

Each area's commands live in their own module with a ``register(app)``
function, listed in ``COMMAND_MODULES``. Errors print one red line and exit 1;
``--debug`` shows the traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from featurevault._cli.common import close_stores, state

COMMAND_MODULES = [
    "featurevault._cli.repo_commands",
    "featurevault._cli.quality_commands",
    "featurevault._cli.data_quality_commands",
    "featurevault._cli.serve_commands",
    "featurevault._cli.security_commands",
    "featurevault._cli.recovery_commands",
    "featurevault._cli.ui_commands",
    "featurevault._cli.lifecycle_commands",
    "featurevault._cli.monitoring_commands",
]

app = typer.Typer(
    name="featurevault",
    help="featurevault: a production feature store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    chdir: Annotated[
        Path | None, typer.Option("--chdir", "-c", help="Run in this feature repo instead of the current directory.")
    ] = None,
    feature_store_yaml: Annotated[
        Path | None, typer.Option("--feature-store-yaml", "-f", help="Use this config file instead.")
    ] = None,
    env: Annotated[
        str | None,
        typer.Option("--env", help="Environment of feature_store.yaml's 'environments:' (else FEATUREVAULT_ENV)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="Library log level.")] = "WARNING",
) -> None:
    ctx.call_on_close(close_stores)
    state.repo_path = (chdir or Path.cwd()).resolve()
    state.config_file = feature_store_yaml
    state.debug = debug
    state.env = env
    logging.basicConfig(level=logging.DEBUG if debug else log_level.upper(), stream=sys.stderr)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Entry point: run the app, turning library errors into one line and exit code 1."""
    from featurevault._cli.common import run_app
    from featurevault._cli.lazy import lazy_root

    run_app(lazy_root(app))


if __name__ == "__main__":
    main()
