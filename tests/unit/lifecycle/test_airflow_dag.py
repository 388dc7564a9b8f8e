"""The Airflow DAG of docs/orchestration.md: its task graph, and that every task runs a real CLI command.

Airflow is not installed in this project's test environment (it is a large install of its own), so
the DAG file is read with ``ast`` instead of imported: the test finds the DAG's settings, its tasks
and the ``>>`` edges between them, and resolves each task's command against featurevault's CLI.
"""

from __future__ import annotations

import ast
import shlex
from pathlib import Path

import typer

from featurevault.cli.main import app

DAG_FILE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "airflow_featurevault_dag.py"


def _module() -> ast.Module:
    return ast.parse(DAG_FILE.read_text())


def _constants(tree: ast.Module) -> dict[str, object]:
    found: dict[str, object] = {}
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and node.value is not None:
            try:
                found[target.id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return found


def _tasks(tree: ast.Module, views: list[str]) -> dict[str, str]:
    """task_id -> bash_command, with the f-strings filled in (the view loop unrolled)."""
    tasks: dict[str, str] = {}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "BashOperator"):
        args = {k.arg: k.value for k in call.keywords}
        for view in views if "view" in ast.unparse(args["task_id"]) else [None]:
            tasks[_fill(args["task_id"], view)] = _fill(args["bash_command"], view)
    return tasks


def _fill(node: ast.expr, view: str | None) -> str:
    text = ast.unparse(node)
    if isinstance(node, ast.Constant):
        return str(node.value)
    return eval(text, {"FEATUREVAULT": "featurevault --chdir REPO", "view": view})  # noqa: S307 (a literal f-string)


def _edges(tree: ast.Module) -> list[tuple[str, str]]:
    chain = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.BinOp))
    names: list[str] = []
    while isinstance(chain, ast.BinOp):
        names.insert(0, chain.right.id)
        chain = chain.left
    names.insert(0, chain.id)
    return list(zip(names, names[1:], strict=False))


def test_dag_settings_and_task_graph() -> None:
    tree = _module()
    views = _constants(tree)["VIEWS"]
    assert isinstance(views, list) and views
    dag_call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "DAG")
    settings = {k.arg: ast.unparse(k.value) for k in dag_call.keywords}
    assert settings["dag_id"] == "'featurevault_materialize'" and settings["max_active_runs"] == "1"
    assert settings["catchup"] == "False" and "retry_exponential_backoff" in settings["default_args"]
    tasks = _tasks(tree, views)
    assert set(tasks) == {"definitions_deployed", "schedule_status", *(f"materialize_{v}" for v in views)}
    assert _edges(tree) == [("definitions_deployed", "materialize"), ("materialize", "schedule_status")]


def test_every_task_runs_an_existing_featurevault_command() -> None:
    tree = _module()
    command = typer.main.get_command(app)
    for task, text in _tasks(tree, _constants(tree)["VIEWS"]).items():
        words = shlex.split(text)
        assert words[:3] == ["featurevault", "--chdir", "REPO"], task
        group, rest, name = command, words[3:], "featurevault"
        while hasattr(group, "commands"):
            name, rest = rest[0], rest[1:]
            assert name in group.commands, f"{task}: no command {name!r}"
            group = group.commands[name]
        group.make_context(name, rest)  # the options parse
