"""An Airflow DAG running featurevault's scheduled materialization (see docs/orchestration.md).

Every hour: check that the deployed definitions match the repo (``plan --exit-code`` exits 2 when
they differ), materialize each view incrementally in a task of its own (Airflow retries with
backoff; featurevault's lock keeps a second scheduler off a view being run), then record the
schedule status for the logs. Set FEATUREVAULT_REPO and FEATUREVAULT_ENV in the worker's environment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

FEATUREVAULT = "featurevault --chdir $FEATUREVAULT_REPO"
#: the scheduled views of the repo (featurevault schedule status lists them)
VIEWS = ["user_txn_stats_daily", "user_risk_daily"]

with DAG(
    dag_id="featurevault_materialize",
    schedule="@hourly",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1), "retry_exponential_backoff": True},
) as dag:
    definitions_deployed = BashOperator(
        task_id="definitions_deployed",
        bash_command=f"{FEATUREVAULT} plan --exit-code",
    )
    materialize = [
        BashOperator(
            task_id=f"materialize_{view}",
            bash_command=f"{FEATUREVAULT} schedule run --views {view}",
        )
        for view in VIEWS
    ]
    schedule_status = BashOperator(
        task_id="schedule_status",
        bash_command=f"{FEATUREVAULT} schedule status --format json",
        trigger_rule="all_done",
    )
    definitions_deployed >> materialize >> schedule_status
