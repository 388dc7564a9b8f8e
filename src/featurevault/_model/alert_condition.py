"""Alert conditions: ``METRIC[(ARG)] OP THRESHOLD``, parsed without I/O.

Metrics and what their argument names::

    freshness               now - newest event time offline (seconds)
    materialization_age     now - last successful materialization (seconds)
    null_rate(feature)      share of nulls in the current window
    rule_failures(rule)     failure rate of a data-quality rule
    psi(feature)            population stability index against the baseline
    js(feature)             Jensen-Shannon distance against the baseline
    ks(feature)             Kolmogorov-Smirnov statistic against the baseline
    skew_rate(feature)      online/offline mismatch rate
    serving_p99_ms          online read p99 in milliseconds

Thresholds of the two time metrics take a unit (``90s``, ``10m``, ``2h``, ``1d``)
or ``Nx``: N times the view's expected interval (its ``freshness``).
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any

from featurevault.errors import DefinitionError

#: metric -> what its argument is ("" when it takes none)
METRICS: dict[str, str] = {
    "freshness": "",
    "materialization_age": "",
    "null_rate": "feature",
    "rule_failures": "rule",
    "psi": "feature",
    "js": "feature",
    "ks": "feature",
    "skew_rate": "feature",
    "serving_p99_ms": "",
}
TIME_METRICS = {"freshness", "materialization_age"}
OPERATORS: dict[str, Any] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

_CONDITION = re.compile(
    r"^\s*(?P<metric>[a-z_0-9]+)\s*(?:\(\s*(?P<arg>[A-Za-z_][A-Za-z0-9_\-]*)\s*\))?\s*"
    r"(?P<op>>=|<=|==|!=|>|<)\s*(?P<number>-?\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h|d|w|x)?\s*$"
)
_DURATION = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h|d|w)?\s*$")


@dataclass(frozen=True)
class Condition:
    """A parsed condition; ``threshold`` is seconds for time metrics unless ``relative`` (a multiple)."""

    metric: str
    arg: str
    op: str
    threshold: float
    relative: bool = False

    def holds(self, value: float, expected_interval: float | None = None) -> bool:
        return bool(OPERATORS[self.op](value, self.limit(expected_interval)))

    def limit(self, expected_interval: float | None = None) -> float:
        if not self.relative:
            return self.threshold
        if not expected_interval:
            raise DefinitionError(
                f"condition {self}: '{self.threshold:g}x' needs the view's expected interval "
                "(FeatureView(freshness=...) or a 'freshness' tag)"
            )
        return self.threshold * expected_interval

    @property
    def series(self) -> str:
        """The metric's name in the metrics store: ``psi:amount`` or ``freshness``."""
        return f"{self.metric}:{self.arg}" if self.arg else self.metric

    def __str__(self) -> str:
        target = f"{self.metric}({self.arg})" if self.arg else self.metric
        value = f"{self.threshold:g}x" if self.relative else f"{self.threshold:g}"
        return f"{target} {self.op} {value}"


def parse_condition(text: str, where: str = "alert") -> Condition:
    """Parse ``text``; DefinitionError names the unknown metric, missing argument or bad threshold."""
    match = _CONDITION.match(text or "")
    if not match:
        raise DefinitionError(
            f"{where}: condition {text!r} is not 'METRIC[(ARG)] OP NUMBER[UNIT]' (e.g. 'freshness > 2h', "
            "'psi(amount) > 0.2')"
        )
    metric, arg, unit = match["metric"], match["arg"] or "", match["unit"] or ""
    if metric not in METRICS:
        raise DefinitionError(f"{where}: unknown metric {metric!r} in {text!r}; known: {', '.join(METRICS)}")
    wants = METRICS[metric]
    if wants and not arg:
        raise DefinitionError(f"{where}: {metric} needs a {wants} argument: {metric}(NAME)")
    if not wants and arg:
        raise DefinitionError(f"{where}: {metric} takes no argument, got {metric}({arg})")
    number = float(match["number"])
    if unit and metric not in TIME_METRICS:
        raise DefinitionError(f"{where}: {metric} threshold takes no unit, got {match['number']}{unit}")
    if unit == "x":
        return Condition(metric, arg, match["op"], number, relative=True)
    return Condition(metric, arg, match["op"], number * UNITS.get(unit or "s", 1.0))


def parse_duration(value: Any, where: str) -> float:
    """Seconds from ``"10m"``, a number of seconds or a timedelta."""
    if hasattr(value, "total_seconds"):
        return float(value.total_seconds())
    if isinstance(value, (int, float)) and value >= 0:
        return float(value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise DefinitionError(f"{where}: duration {value!r} is not like '90s', '10m', '2h' or '1d'")
    return float(match["number"]) * UNITS[match["unit"] or "s"]
