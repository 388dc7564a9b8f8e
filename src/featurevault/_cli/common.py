"""What every CLI command shares: the repo location, the store, error rendering.

Both consoles print text literally (``markup=False``): messages carry user
input and install hints such as ``pip install 'featurevault[server]'``, which
rich markup would eat. Colour is given with :func:`styled` instead.
"""

from __future__ import annotations

import difflib
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from featurevault.errors import FeatureVaultError, describe_error

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from featurevault._store import FeatureStore


class _LazyConsole:
    """A rich Console built on first use, so ``featurevault --help`` never imports rich's renderer."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def get(self) -> Console:
        """The rich Console itself (for APIs that need the real object, such as Progress)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


console: Console = _LazyConsole(markup=False)  # type: ignore[assignment]
err_console: Console = _LazyConsole(stderr=True, soft_wrap=True, markup=False)  # type: ignore[assignment]


def new_table(*columns: Any, **options: Any) -> Table:
    """A rich Table (imported on first use)."""
    from rich.table import Table

    return Table(*columns, **options)


USAGE_EXIT_CODE = 2


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
    from featurevault._store import FeatureStore

    store = FeatureStore(repo_path=state.repo_path, fs_yaml_file=state.config_file, env=state.env)
    state.stores.append(store)
    return store


def open_store_for_change() -> FeatureStore:
    """The store, for a command that changes state: in a repo with environments, the active one is shown first."""
    store = open_store()
    if store.config.environment_names:
        env = store.environment or "base config (no --env)"
        err_console.print(f"Environment: {env} (project {store.project})", highlight=False)
    return store


def close_stores() -> None:
    """Close what the command opened (the root callback registers this on its context)."""
    while state.stores:
        state.stores.pop().close()


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line of literal text; a ``(text, style)`` part is coloured."""
    from rich.text import Text

    return Text.assemble(*parts)


def fail(message: str, *, code: int = 1) -> NoReturn:
    """Print one red line and exit with ``code`` (1, or 2 for a usage error)."""
    err_console.print(styled(("Error:", "red"), " ", message), highlight=False)
    raise SystemExit(code)


def usage_error(message: str, hint: str) -> NoReturn:
    """A usage error: one line, one hint, exit 2."""
    err_console.print(styled(("Error:", "red"), " ", message), highlight=False)
    err_console.print(hint, highlight=False)
    raise SystemExit(USAGE_EXIT_CODE)


def _exception_classes(name: str) -> tuple[type[BaseException], ...]:
    """``name`` from click and from the click that typer vendors (newer typers raise their own).

    Only modules already loaded are looked at: one that was never imported cannot have raised.
    """
    found: list[type[BaseException]] = []
    for module_name in ("click.exceptions", "typer._click.exceptions", "typer.exceptions"):
        cls = getattr(sys.modules.get(module_name), name, None)
        if isinstance(cls, type) and cls not in found:
            found.append(cls)
    return tuple(found)


def _command_path(exc: BaseException) -> str:
    ctx = getattr(exc, "ctx", None)
    return ctx.command_path if ctx is not None else "featurevault"


def _subcommand_names(exc: BaseException) -> list[str]:
    ctx = getattr(exc, "ctx", None)
    commands = getattr(getattr(ctx, "command", None), "commands", None) or {}
    return sorted(name for name, cmd in commands.items() if not getattr(cmd, "hidden", False))


def _usage_message(exc: BaseException) -> tuple[str, str]:
    """The one line and the hint for a click usage error."""
    path = _command_path(exc)
    hint = f"Try '{path} --help' for help."
    if type(exc).__name__ == "NoArgsIsHelpError":
        names = _subcommand_names(exc)
        return f"'{path}' needs a command: {', '.join(names)}", hint
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if message.startswith("No such command") and "Did you mean" not in message:
        wrong = message.split("'")[1] if message.count("'") >= 2 else ""
        close = difflib.get_close_matches(wrong, _subcommand_names(exc), n=1)
        if close:
            hint = f"Did you mean '{path} {close[0]}'? {hint}"
    return message.rstrip("."), hint


def _is_root_without_arguments(exc: BaseException) -> bool:
    ctx = getattr(exc, "ctx", None)
    return type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None and ctx.parent is None


def run_app(app: Any) -> None:
    usage_errors = _exception_classes("UsageError")
    click_errors = _exception_classes("ClickException") + _exception_classes("TyperException")
    aborts = _exception_classes("Abort")
    exits = _exception_classes("Exit")
    try:
        # Outside standalone mode click returns a command's exit code (typer.Exit) instead of exiting.
        code = app(standalone_mode=False, prog_name="featurevault")
        if isinstance(code, int) and code:
            sys.exit(code)
    except FeatureVaultError as exc:
        if state.debug:
            traceback.print_exc()
        err_console.print(styled(("Error:", "red"), " ", str(exc)), highlight=False)
        sys.exit(1)
    except usage_errors as exc:
        if _is_root_without_arguments(exc):
            console.print(exc.ctx.get_help(), highlight=False)  # type: ignore[attr-defined]
            sys.exit(0)
        usage_error(*_usage_message(exc))
    except click_errors as exc:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        err_console.print(styled(("Error:", "red"), " ", message), highlight=False)
        sys.exit(getattr(exc, "exit_code", 1))
    except aborts:
        err_console.print("Aborted.", highlight=False)
        sys.exit(130)
    except exits as exc:
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except Exception as exc:  # a bug or an unexpected failure: still one line, the traceback under --debug
        if state.debug:
            traceback.print_exc()
        hint = "" if state.debug else " (run with --debug to see the traceback)"
        err_console.print(styled(("Error:", "red"), f" unexpected {describe_error(exc)}{hint}"), highlight=False)
        sys.exit(1)
