"""Shared test set-up: subprocesses (CLI, servers) import the same featurevault as the tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import featurevault

_SRC = str(Path(featurevault.__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH", "")) if p)


@pytest.fixture(autouse=True)
def _fresh_cli_consoles() -> Iterator[None]:
    """Each test starts with the CLI's consoles unbuilt.

    The consoles (``featurevault.cli.common``) are built on first use and keep the width they
    read from ``COLUMNS`` then. Tests invoke the CLI in-process with their own ``COLUMNS``, so
    without this a test's table width, and what fits in it, depended on which test of the
    same worker printed first.
    """
    _reset_cli_consoles()
    yield
    _reset_cli_consoles()


def _reset_cli_consoles() -> None:
    common = sys.modules.get("featurevault.cli.common")
    if common is not None:
        for lazy in (common.console, common.err_console):
            lazy._console = None


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
