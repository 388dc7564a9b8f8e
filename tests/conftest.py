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

    The consoles (``featurevault._cli.common``) are built on first use and keep the width they
    read from ``COLUMNS`` then. Tests invoke the CLI in-process with their own ``COLUMNS``, so
    without this a test's table width, and what fits in it, depended on which test of the
    same worker printed first.
    """
    _reset_cli_consoles()
    yield
    _reset_cli_consoles()


def _reset_cli_consoles() -> None:
    common = sys.modules.get("featurevault._cli.common")
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
    from featurevault._backends.offline import spark_session as sessions

    spark = sessions.session(SPARK_TEST_CONF)
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


# -- object storage: one moto S3 server on loopback per run, started when a test first needs it ---------


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.integration.objects.moto_server import MotoServer

    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def location(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Where backups (or quarantined rows) go: a local directory, or a fresh bucket on moto's S3 server."""
    import uuid

    from tests.integration.objects.moto_server import TEST_CREDENTIALS, Location, s3_location

    if request.param == "local":
        return Location("local", str(tmp_path / "location"), None)
    for key, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return s3_location(request.getfixturevalue("moto_s3"), f"fv-{uuid.uuid4().hex[:12]}", "store")
