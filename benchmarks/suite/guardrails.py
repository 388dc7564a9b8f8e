"""Cost of the production guardrails: online reads with auth + audit + PII masking on, against off.

The guardrail-specific workload is ``benchmarks/bench_guardrails.py`` (its
own module); this suite runs it when it is there and records why not when
it is not, so the report never shows a figure that was not measured.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.suite.runner import Runner

logger = logging.getLogger(__name__)


def guardrails_workload(runner: Runner) -> dict[str, Any]:
    try:
        module = importlib.import_module("benchmarks.bench_guardrails")
    except ImportError as exc:
        return {"status": "not measured", "reason": f"benchmarks/bench_guardrails.py cannot be imported ({exc})"}
    entry = getattr(module, "run_suite_workload", None)
    if entry is None:
        return {"status": "not measured", "reason": "benchmarks/bench_guardrails.py has no run_suite_workload()"}
    rows = entry(scale=runner.scale.name, rounds=runner.scale.rounds, work=str(runner.work))
    return {"status": "measured", "rows": rows}
