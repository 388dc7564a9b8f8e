"""What every CLI command shares: the repo location, the store, error rendering."""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from featurevault.errors import FeatureVaultError

if TYPE_CHECKING:
    from featurevault.store import FeatureStore

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class CliState:
    repo_path: Path = Path(".")
    config_file: Path | None = None
    debug: bool = False
    #: the environment of feature_store.yaml's ``environments:`` (--env, else FEATUREVAULT_ENV)
    env: str | None = None
    #: stores opened by the running command, closed when it ends (see close_stores)
    stores: list[Any] = field(default_factory=list)


state = CliState()


def open_store() -> FeatureStore:
    """The repo's store, acting as the principal of ``FEATUREVAULT_TOKEN``; closed when the command ends.

    Closing flushes the command's audit records before the process (or a test runner) moves on.
    """
    from featurevault.store import FeatureStore

    store = FeatureStore(repo_path=state.repo_path, fs_yaml_file=state.config_file, env=state.env)
    state.stores.append(store)
    return store


def open_store_for_change() -> FeatureStore:
    """The store, for a command that changes state: in a repo with environments, the active one is shown first."""
    store = open_store()
    if store.config.environment_names:
        env = store.environment or "base config (no --env)"
        err_console.print(f"Environment: [bold]{env}[/bold] (project {store.project})", highlight=False)
    return store


def close_stores() -> None:
    """Close what the command opened (the root callback registers this on its context)."""
    while state.stores:
        state.stores.pop().close()


def fail(message: str) -> None:
    """Print one red line and exit 1."""
    err_console.print(f"[red]Error:[/red] {message}", highlight=False, markup=True)
    raise SystemExit(1)


def run_app(app: Any) -> None:
    try:
        # Outside standalone mode click returns a command's exit code (typer.Exit) instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except FeatureVaultError as exc:
        if state.debug:
            traceback.print_exc()
        err_console.print(f"[red]Error:[/red] {exc}", highlight=False)
        sys.exit(1)
    except _ABORTS:
        err_console.print("Aborted.", highlight=False)
        sys.exit(130)
    except _USAGE_ERRORS as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except _EXITS as exc:
        sys.exit(exc.exit_code)


def _click_classes(name: str) -> tuple[type[BaseException], ...]:
    """``name`` from click and from the copy of click that typer >= 0.2x carries (either may raise)."""
    found: list[type[BaseException]] = [getattr(click.exceptions, name)]
    for module in ("typer.exceptions", "typer._click.exceptions"):
        try:
            cls = getattr(__import__(module, fromlist=[name]), name, None)
        except ImportError:
            cls = None
        if isinstance(cls, type) and cls not in found:
            found.append(cls)
    return tuple(found)


_ABORTS = _click_classes("Abort")
_USAGE_ERRORS = _click_classes("ClickException")
_EXITS = _click_classes("Exit")
