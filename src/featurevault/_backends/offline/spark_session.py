"""The SparkSession an engine runs on, and the Arrow conversions between Spark and the caller.

All conversions go through Arrow (``createDataFrame(pa.Table)`` and
``DataFrame.toArrow()``), never through pandas: pyspark's pandas paths
(``toPandas``, ``createDataFrame(pd.DataFrame)``, pandas UDFs) are the ones its
warning about pandas 3 concerns (string columns arrive as pandas' new ``str``
dtype, nullable integers and tz-aware datetimes go through ``object``). With
Arrow, every feature type keeps its Arrow type both ways; the caller's pandas
conversion is then pyarrow's own.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from featurevault.errors import BackendError, MissingDependencyError

logger = logging.getLogger(__name__)

#: settings the engine's results depend on; a user's spark_conf cannot change them
REQUIRED_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
#: defaults suited to one machine; spark_conf overrides them
DEFAULT_CONF = {
    "spark.master": "local[2]",
    "spark.app.name": "featurevault",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
}
_PANDAS_WARNING = "PySpark does not yet fully support pandas"


def import_pyspark() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_PANDAS_WARNING, category=FutureWarning)
            import pyspark.sql
    except ImportError:
        raise MissingDependencyError(
            "the spark offline store needs pyspark: pip install 'featurevault[spark]'"
        ) from None
    return pyspark.sql


def session(spark_conf: Mapping[str, str]) -> Any:
    """The process's SparkSession (created with ``spark_conf`` on first use, reused after)."""
    sql = import_pyspark()
    # executors run Python (materialization writers); pyspark takes the interpreter from this variable,
    # so they use the driver's (its virtualenv, its featurevault) unless spark.pyspark.python says otherwise
    os.environ.setdefault("PYSPARK_PYTHON", spark_conf.get("spark.pyspark.python", sys.executable))
    builder = sql.SparkSession.builder
    for key, value in {**DEFAULT_CONF, **spark_conf, **REQUIRED_CONF}.items():
        builder = builder.config(key, str(value))
    try:
        with arrow_only():
            spark = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: no Java, bad master URL, ...
        raise BackendError(
            f"cannot start Spark (master {spark_conf.get('spark.master', 'local[2]')!r}): {exc}"
        ) from exc
    for key, value in REQUIRED_CONF.items():
        spark.conf.set(key, value)  # an existing session was built by someone else
    return spark


@contextmanager
def arrow_only() -> Iterator[None]:
    """Silence pyspark's pandas-3 warning around calls that move data through Arrow only (see module doc)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PANDAS_WARNING, category=FutureWarning)
        yield


def to_spark(spark: Any, table: pa.Table) -> Any:
    """An Arrow table as a Spark DataFrame (timestamps must already be UTC)."""
    with arrow_only():
        return spark.createDataFrame(_spark_ready(table))


def to_arrow(frame: Any) -> pa.Table:
    """Collect a Spark DataFrame to the driver as Arrow."""
    with arrow_only():
        return frame.toArrow()


def _spark_ready(table: pa.Table) -> pa.Table:
    """Types Spark's Arrow reader takes: dictionaries decoded, large strings as strings."""
    fields = []
    for field in table.schema:
        typ = field.type
        if pa.types.is_dictionary(typ):
            typ = typ.value_type
        if pa.types.is_large_string(typ):
            typ = pa.string()
        elif pa.types.is_large_binary(typ):
            typ = pa.binary()
        fields.append(field.with_type(typ))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)
