"""Drift of what a feature service served: its feature log's values in a window against each view's baseline.

The current window is the service's logged rows (``__log_timestamp`` in [start, end]);
each logged feature whose view has a baseline is compared with the same statistics as
``monitor run`` (PSI, Jensen-Shannon, KS or chi-square, null rate).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from featurevault.errors import FeatureServiceNotFoundError, MonitoringError
from featurevault._model import RepoContents
from featurevault._monitoring.baselines import ViewBaseline
from featurevault._monitoring.drift import FeatureDrift, feature_drift

logger = logging.getLogger(__name__)


@dataclass
class ServedDrift:
    """Drift of one feature service's served values; ``drift`` maps a view to its features' drift."""

    service: str
    start: datetime
    end: datetime
    rows: int
    files: int
    drift: dict[str, list[FeatureDrift]] = field(default_factory=dict)
    #: logged features left out: no baseline for their view, or not in it (PII features never are)
    without_baseline: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "rows": self.rows,
            "files": self.files,
            "drift": {view: [d.__dict__ for d in items] for view, items in self.drift.items()},
            "without_baseline": self.without_baseline,
        }


def served_drift(
    contents: RepoContents,
    resolve: Any,
    baselines: dict[str, ViewBaseline],
    service_name: str,
    start: datetime,
    end: datetime,
) -> ServedDrift:
    from featurevault._monitoring.feature_log import PARTITION
    from featurevault._monitoring.feature_log_table import logged_columns

    service = contents.feature_services.get(service_name)
    if service is None:
        known = ", ".join(sorted(contents.feature_services)) or "none"
        raise FeatureServiceNotFoundError(f"no feature service named {service_name!r} in the registry (known: {known})")
    if service.logging_config is None:
        raise MonitoringError(
            f"feature service {service_name!r} has no logging_config: nothing it serves is logged "
            "(FeatureService(..., logging_config=LoggingConfig(...)))"
        )
    root = Path(resolve(service.logging_config.path)) / service_name
    files = sorted(root.glob(f"{PARTITION}=*/*.parquet"))
    table = _read_window(files, start, end)
    result = ServedDrift(service_name, start, end, table.num_rows, len(files))
    for column, view, feature in logged_columns(service):
        baseline = baselines.get(view)
        if baseline is None or feature not in baseline.features or column not in table.column_names:
            result.without_baseline.append(column)
            continue
        result.drift.setdefault(view, []).append(feature_drift(feature, baseline.features[feature], table[column]))
    logger.info("monitor: served drift of %s over %d logged rows (%d files)", service_name, result.rows, len(files))
    return result


def _read_window(files: list[Path], start: datetime, end: datetime) -> pa.Table:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from featurevault._monitoring.feature_log import LOG_TIMESTAMP

    if not files:
        return pa.table({LOG_TIMESTAMP: pa.array([], pa.timestamp("us", tz="UTC"))})
    # files written at different times may differ (a feature added, a masked column's type)
    schema = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    stamps = ds.field(LOG_TIMESTAMP)
    window = (stamps >= pa.scalar(start, schema.field(LOG_TIMESTAMP).type)) & (
        stamps <= pa.scalar(end, schema.field(LOG_TIMESTAMP).type)
    )
    return ds.dataset([str(f) for f in files], schema=schema, format="parquet").to_table(filter=window)
