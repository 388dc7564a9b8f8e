"""A test-only stand-in for the part of Airflow's API that docs/examples/airflow_featurevault_dag.py uses.

Not Airflow: a DAG as a context manager that keeps its settings and tasks, operators that
register with the DAG they are created in, and ``>>`` between tasks and lists of tasks. The
attribute names are Airflow's own (``task_dict``, ``upstream_task_ids``, ``bash_command``,
``trigger_rule``), so the checks made on it hold for a real Airflow DAG too. It is put on
``sys.path`` only inside tests/unit/lifecycle/test_airflow_dag.py.
"""

from __future__ import annotations

from airflow.models import DAG

__all__ = ["DAG"]
