"""One local Spark session with Delta, Deequ and Spark NLP for the whole test run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from dq_engine.spark.session import build_session, stop_session

REPO_ROOT = Path(__file__).resolve().parents[1]

TEST_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
    "spark.driver.memory": "2g",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = build_session(
        app_name="dq-engine-tests", master="local[2]", conf=TEST_CONF, jars_dir=str(REPO_ROOT / "jars")
    )
    yield session
    stop_session(session)
