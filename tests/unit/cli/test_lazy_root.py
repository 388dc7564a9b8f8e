"""The lazily converted root command behaves as typer's full tree, converting only what a run uses."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
import typer.main

from featurevault._cli.lazy import lazy_root
from featurevault._cli.main import app


def _help(command: object) -> str:
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit):
        command.main(["--help"], prog_name="featurevault", standalone_mode=True)  # type: ignore[attr-defined]
    return out.getvalue()


def test_root_help_is_the_full_trees_help_and_converts_nothing() -> None:
    root = lazy_root(app)
    assert _help(root) == _help(typer.main.get_command(app))
    assert root.commands._built == {}


def test_lists_every_command_of_the_full_tree_in_order() -> None:
    full = typer.main.get_command(app)
    root = lazy_root(app)
    assert list(root.commands) == list(full.commands)  # type: ignore[attr-defined]


def test_a_run_converts_only_its_command() -> None:
    root = lazy_root(app)
    out = io.StringIO()
    with redirect_stdout(out):
        root.main(["version"], prog_name="featurevault", standalone_mode=False)
    assert list(root.commands._built) == ["version"]
    assert out.getvalue().strip()


def test_sub_group_help_matches_the_full_tree() -> None:
    full = typer.main.get_command(app)
    root = lazy_root(app)
    ctx_full = full.make_context("featurevault", ["audit"], resilient_parsing=True)
    ctx_lazy = root.make_context("featurevault", ["audit"], resilient_parsing=True)
    assert root.get_command(ctx_lazy, "audit").get_help(ctx_lazy) == full.get_command(ctx_full, "audit").get_help(
        ctx_full
    )  # type: ignore[attr-defined]


def test_a_typo_gets_the_same_suggestion() -> None:
    root = lazy_root(app)
    with pytest.raises(Exception, match="Did you mean 'apply'"):
        root.main(["aply"], prog_name="featurevault", standalone_mode=False)
