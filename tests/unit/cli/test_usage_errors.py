"""Every command, as a person meets it: ``--help``, a typo'd option, missing arguments.

Each case runs ``featurevault`` in a fresh process in an empty directory, so what is
checked is what a shell prints: the exit code, and that no output holds a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main

from featurevault._cli.main import app

SRC = Path(__file__).resolve().parents[3] / "src"


def _walk(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _walk(sub, (*path, name))


COMMANDS = list(_walk(typer.main.get_command(app)))
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not hasattr(cmd, "commands")]
GROUPS = [path for path, cmd in COMMANDS if hasattr(cmd, "commands") and path]


def _required(cmd: object) -> list[str]:
    return [p.name for p in cmd.params if p.required]  # type: ignore[attr-defined]


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "featurevault._cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _no_traceback(out: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in out.stdout + out.stderr, out.stdout + out.stderr


def _one_line_and_hint(out: subprocess.CompletedProcess[str], command: tuple[str, ...]) -> None:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2, out.stderr
    assert lines[0].startswith("Error: ")
    assert lines[1].endswith(f"Try '{' '.join(('featurevault', *command))} --help' for help.")


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in LEAVES}
    assert {"apply", "serve", "teardown", "entities list", "tokens create"} <= names
    assert len(LEAVES) >= 30


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "root")
def test_help(tmp_path: Path, path: tuple[str, ...]) -> None:
    out = _cli(tmp_path, *path, "--help")
    _no_traceback(out)
    assert out.returncode == 0 and "Usage: featurevault" in out.stdout, out.stderr


@pytest.mark.parametrize("path", [(), ("serve",), ("entities", "describe")], ids=lambda p: " ".join(p) or "root")
def test_short_help(tmp_path: Path, path: tuple[str, ...]) -> None:
    out = _cli(tmp_path, *path, "-h")
    _no_traceback(out)
    assert out.returncode == 0 and "Usage: featurevault" in out.stdout, out.stderr


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "root")
def test_unknown_option(tmp_path: Path, path: tuple[str, ...]) -> None:
    out = _cli(tmp_path, *path, "--no-such-option")
    _no_traceback(out)
    assert out.returncode == 2
    _one_line_and_hint(out, path)
    assert "No such option: --no-such-option" in out.stderr


@pytest.mark.parametrize("path,cmd", LEAVES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_without_arguments(tmp_path: Path, path: tuple[str, ...], cmd: object) -> None:
    """Missing required arguments are a usage error; the rest fail cleanly outside a repo."""
    out = _cli(tmp_path, *path)
    _no_traceback(out)
    if _required(cmd):
        assert out.returncode == 2
        _one_line_and_hint(out, path)
        assert "Missing argument" in out.stderr or "Missing option" in out.stderr
    else:
        assert out.returncode in (0, 1, 2), out.stderr
        assert out.returncode == 0 or len(out.stderr.strip().splitlines()) <= 2, out.stderr


@pytest.mark.parametrize("path", GROUPS, ids=" ".join)
def test_bare_group_names_its_commands(tmp_path: Path, path: tuple[str, ...]) -> None:
    out = _cli(tmp_path, *path)
    _no_traceback(out)
    assert out.returncode == 2
    _one_line_and_hint(out, path)
    assert "needs a command" in out.stderr


def test_unknown_command_suggests_the_close_one(tmp_path: Path) -> None:
    out = _cli(tmp_path, "aply")
    _no_traceback(out)
    assert out.returncode == 2 and "apply" in out.stderr
    _one_line_and_hint(out, ())
    out = _cli(tmp_path, "bogus")
    assert out.returncode == 2 and "No such command 'bogus'" in out.stderr


def test_root_without_arguments_prints_help(tmp_path: Path) -> None:
    out = _cli(tmp_path)
    assert out.returncode == 0 and "Commands" in out.stdout


def test_teardown_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    out = _cli(tmp_path, "teardown")
    assert out.returncode == 2 and "--yes" in out.stderr
    _no_traceback(out)


def test_install_hint_prints_whole(tmp_path: Path) -> None:
    """Bracketed text is not taken for rich markup."""
    from featurevault._cli.common import err_console

    with err_console.capture() as captured:
        err_console.print("pip install 'featurevault[server]' and [bold]x[/bold]")
    assert captured.get().strip() == "pip install 'featurevault[server]' and [bold]x[/bold]"


def test_unexpected_failure_is_one_line_and_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    monkeypatch.setattr(sys, "argv", ["featurevault"])
    from featurevault._cli.common import run_app, state

    broken = typer.Typer()

    @broken.command()
    def explode() -> None:
        raise RuntimeError("boom")

    for debug in (False, True):
        state.debug = debug
        with pytest.raises(SystemExit) as exited:
            run_app(broken)
        err = capsys.readouterr().err
        assert exited.value.code == 1 and "unexpected RuntimeError: boom" in err
        assert ("Traceback" in err) == debug
        assert debug or len(err.strip().splitlines()) == 1
    state.debug = False
