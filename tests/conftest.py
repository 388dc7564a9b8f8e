"""Shared test set-up: subprocesses (CLI, servers) import the same featurevault as the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import featurevault

_SRC = str(Path(featurevault.__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH", "")) if p)


# -- Spark: one local[2] session for the whole run (starting a JVM takes seconds) -----------------

SPARK_TEST_CONF = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
}


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """The run's SparkSession; Spark tests carry ``xdist_group("spark")`` so that one worker holds it."""
    from featurevault.backends.offline import spark_session as sessions

    spark = sessions.session(SPARK_TEST_CONF)
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()
