"""The Airflow DAG of docs/orchestration.md, imported and run; and the page's cron line, parsed and run.

Airflow is far too large an install for the test environment, so the DAG file
(docs/examples/airflow_featurevault_dag.py, the file the page links) is imported against a
small stand-in of the Airflow API it uses (tests/unit/lifecycle/airflow_standin), put on
``sys.path`` only for these tests. The checks use Airflow's own attribute names. Each task's
command is then run, in the DAG's order, against a fraud repo whose views declare schedules.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import typer
from typer.testing import CliRunner

from featurevault import FeatureStore
from featurevault._cli.main import app
from featurevault._ops.repo import load_repo
from tests.unit.lifecycle.fraud_repo import write_repo
from tests.unit.lifecycle.test_schedule import SCHEDULED

ROOT = Path(__file__).resolve().parents[3]
DAG_FILE = ROOT / "docs" / "examples" / "airflow_featurevault_dag.py"
STANDIN = Path(__file__).parent / "airflow_standin"
runner = CliRunner()


@pytest.fixture
def dag_module(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    saved = {n: m for n, m in sys.modules.items() if n == "airflow" or n.startswith("airflow.")}
    for name in saved:
        del sys.modules[name]
    monkeypatch.syspath_prepend(str(STANDIN))
    try:
        spec = importlib.util.spec_from_file_location("airflow_featurevault_dag", DAG_FILE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert module.DAG.__module__ == "airflow.models" and str(STANDIN) in sys.modules["airflow"].__file__
        yield module
    finally:
        for name in [n for n in sys.modules if n == "airflow" or n.startswith("airflow.")]:
            del sys.modules[name]
        sys.modules.update(saved)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    repo = write_repo(tmp_path / "repo", SCHEDULED)
    with FeatureStore(repo) as store:
        store.apply(load_repo(repo))
    return repo


def _invoke(command: str, env: dict[str, str]) -> tuple[int, str]:
    """A task's (or cron's) featurevault command line, as bash would expand it, run in-process."""
    words = shlex.split(re.sub(r"\$(\w+)", lambda m: env[m.group(1)], command))
    assert words[0] == "featurevault", command
    result = runner.invoke(app, words[1:], env={"COLUMNS": "200", **env})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _parses(command: str) -> None:
    """The command line names existing commands and its options parse (click raises otherwise)."""
    words = shlex.split(command.replace("$FEATUREVAULT_REPO", "REPO"))[1:]
    command_object: object = typer.main.get_command(app)
    name = "featurevault"
    while True:
        context = command_object.make_context(name, list(words))  # type: ignore[attr-defined]
        if not hasattr(command_object, "commands"):
            return
        rest = context.args  # what follows the sub-command's name
        name = words[len(words) - len(rest) - 1]
        assert name in command_object.commands, f"{command}: no command {name!r}"
        command_object, words = command_object.commands[name], rest


def test_the_dag_imports_with_its_settings_tasks_and_edges(dag_module: ModuleType) -> None:
    dag = dag_module.dag
    assert dag.dag_id == "featurevault_materialize" and dag.schedule == "@hourly"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.default_args["retries"] == 2 and dag.default_args["retry_exponential_backoff"] is True
    materialize = {f"materialize_{v}" for v in dag_module.VIEWS}
    assert set(dag.task_dict) == {"definitions_deployed", "schedule_status", *materialize}
    edges = {(t.task_id, d) for t in dag.task_dict.values() for d in t.downstream_task_ids}
    assert edges == {("definitions_deployed", m) for m in materialize} | {(m, "schedule_status") for m in materialize}
    assert dag.task_dict["schedule_status"].trigger_rule == "all_done"  # reports whatever the runs did
    assert dag.task_dict["definitions_deployed"].upstream_task_ids == set()
    for task in dag.task_dict.values():
        _parses(task.bash_command)


def test_the_dags_tasks_run_in_order_against_a_scheduled_repo(dag_module: ModuleType, repo: Path) -> None:
    env = {"FEATUREVAULT_REPO": str(repo)}
    outputs = {}
    for task in dag_module.dag.topological_sort():
        code, outputs[task.task_id] = _invoke(task.bash_command, env)
        assert code == 0, (task.task_id, outputs[task.task_id])
    assert "user_risk_daily: ok (10000 rows" in outputs["materialize_user_risk_daily"]
    status = {row["view"]: row for row in json.loads(outputs["schedule_status"])}
    assert {v: s["last_run"]["outcome"] for v, s in status.items()} == dict.fromkeys(dag_module.VIEWS, "ok")


def test_the_dag_refuses_to_materialize_over_undeployed_definitions(dag_module: ModuleType, repo: Path) -> None:
    (repo / "features.py").write_text(SCHEDULED.replace("days=30", "days=14"))
    code, _ = _invoke(dag_module.dag.task_dict["definitions_deployed"].bash_command, {"FEATUREVAULT_REPO": str(repo)})
    assert code == 2  # plan --exit-code: the repo differs from the registry, the task fails and so do its downstream


def _cron_line() -> str:
    page = (ROOT / "docs" / "orchestration.md").read_text()
    block = re.search(r"```cron\n(.*?)```", page, re.S)
    assert block is not None
    (line,) = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    return line


def test_the_cron_example_is_a_valid_schedule_and_a_real_command(repo: Path) -> None:
    from croniter import croniter

    line = _cron_line()
    fields = line.split()
    assert croniter.is_valid(" ".join(fields[:5])), line
    command = " ".join(fields[5:])
    cd, invocation = (part.strip() for part in command.split("&&"))
    assert cd.startswith("cd ")
    words = shlex.split(invocation.split(">>")[0])
    assignments = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
    assert "FEATUREVAULT_ENV" in assignments and set(assignments) <= {"FEATUREVAULT_ENV", "FEATUREVAULT_TOKEN"}
    cli = " ".join(shlex.quote(w) for w in words if w not in {f"{k}={v}" for k, v in assignments.items()})
    _parses(cli)
    with FeatureStore(repo, env=assignments["FEATUREVAULT_ENV"]) as store:
        store.apply(load_repo(repo))
    env = {k: v for k, v in assignments.items() if k != "FEATUREVAULT_TOKEN"}
    code, out = _invoke(cli.replace("featurevault", f"featurevault --chdir {shlex.quote(str(repo))}", 1), env)
    assert code == 0 and "user_txn_stats_daily: ok (10000 rows" in out, out
    with FeatureStore(repo, env=assignments["FEATUREVAULT_ENV"]) as store:
        assert {r.view for r in store.schedule_runs()} == {"user_txn_stats_daily", "user_risk_daily"}


def test_a_command_line_that_does_not_parse_is_caught() -> None:
    _parses("featurevault --chdir $FEATUREVAULT_REPO schedule run --views v")
    with pytest.raises(Exception, match="No such option: --view") as refused:  # typer ships its own click
        _parses("featurevault --chdir $FEATUREVAULT_REPO schedule run --view v")
    assert type(refused.value).__name__ == "NoSuchOption"
    with pytest.raises(AssertionError, match="no command 'runn'"):
        _parses("featurevault schedule runn")
