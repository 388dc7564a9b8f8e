"""The root command, converted to click one subcommand at a time.

Called as a whole, a typer app turns the signature of every command into click parameters
before it parses anything: for our ~90 commands that is most of ``featurevault --help``'s
start-up. :func:`lazy_root` builds the root group with a command table that converts a
subcommand on first lookup and answers the listing and the root help from what was
registered (names, short help, hidden flags), so a run converts only the command it runs.
The full tree (for introspection and the reference pages) is still ``typer.main.get_command``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
import typer.main as typer_main
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup
from typer.models import CommandInfo, TyperInfo

Registration = CommandInfo | TyperInfo


class _CommandTable(MutableMapping[str, Any]):
    """name -> click command, converted from its typer registration when first looked up."""

    def __init__(self, app: typer.Typer) -> None:
        self._app = app
        self._registered: dict[str, Registration] = {}
        for command in app.registered_commands:
            self._registered[_command_name(command)] = command
        for group in app.registered_groups:
            self._registered[typer_main.solve_typer_info_defaults(group).name or ""] = group
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._convert(self._registered[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command
        self._registered.setdefault(name, CommandInfo(name=name))

    def __delitem__(self, name: str) -> None:
        del self._registered[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._registered)

    def __len__(self) -> int:
        return len(self._registered)

    def hidden(self, name: str) -> bool:
        return bool(self._registered[name].hidden)

    def short_help(self, name: str, limit: int) -> str:
        """What the root help shows for ``name``, read from its registration alone."""
        if name in self._built:
            return str(self._built[name].get_short_help_str(limit))
        registration = self._registered[name]
        if isinstance(registration, TyperInfo):
            text = typer_main.solve_typer_info_help(registration)
        else:
            text = registration.help or inspect.getdoc(registration.callback) or ""
        short = getattr(registration, "short_help", None)
        if isinstance(short, str) and short:
            return inspect.cleandoc(short)
        return make_default_short_help(inspect.cleandoc(text), limit) if text else ""

    def _convert(self, registration: Registration) -> Any:
        app = self._app
        if isinstance(registration, TyperInfo):
            return typer_main.get_group_from_info(
                registration,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
        return typer_main.get_command_from_info(
            registration,
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
        )


def _command_name(command: CommandInfo) -> str:
    return command.name or typer_main.get_command_name(command.callback.__name__)  # type: ignore[union-attr]


class _LazyRoot(TyperGroup):
    commands: _CommandTable

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        names = [name for name in self.commands if not self.commands.hidden(name)]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        with formatter.section("Commands"):
            formatter.write_dl([(name, self.commands.short_help(name, limit)) for name in names])


def lazy_root(app: typer.Typer) -> TyperGroup:
    """The click group of ``app`` (a typer app with a root callback) that converts subcommands on demand."""
    info = typer_main.solve_typer_info_defaults(typer.models.TyperInfo(app))
    params, context_param_name = typer_main._get_params_name_from_function(info.callback)
    root = _LazyRoot(
        name=info.name or "",
        invoke_without_command=info.invoke_without_command,
        no_args_is_help=info.no_args_is_help,
        subcommand_metavar=info.subcommand_metavar,
        result_callback=info.result_callback,
        context_settings=info.context_settings,
        callback=typer_main.get_callback(
            callback=info.callback,
            params=params,
            context_param_name=context_param_name,
            pretty_exceptions_short=app.pretty_exceptions_short,
        ),
        params=params,
        help=info.help,
        epilog=info.epilog,
        short_help=info.short_help,
        options_metavar=info.options_metavar,
        add_help_option=info.add_help_option,
        hidden=info.hidden,
        deprecated=info.deprecated,
        rich_markup_mode=app.rich_markup_mode,
        rich_help_panel=info.rich_help_panel,
        suggest_commands=app.suggest_commands,
    )
    # typer's signature takes a dict; the group only ever uses it as a mapping
    root.commands = _CommandTable(app)
    return root
