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


# Files that spend minutes in subprocesses and fresh JVMs, longest first (``--durations``). ``make test``
# runs two pytest-xdist workers over whole files; starting these first keeps one of them from running
# alone at the end while the other worker sits idle.
LONG_FIRST = (
    "test_kill_recovery.py",
    "test_notebook.py",
    "test_spark_submit.py",
    "test_standalone_cluster.py",
    "test_restore.py",
    "test_concurrent_runs.py",
    "test_end_to_end.py",
    "test_near_dedup.py",
    "test_ingest_sample.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: file order kept otherwise


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = build_session(
        app_name="dq-engine-tests", master="local[2]", conf=TEST_CONF, jars_dir=str(REPO_ROOT / "jars")
    )
    yield session
    stop_session(session)


# The pipeline for tests about a job's bookkeeping (gates, time travel, submit paths, exit codes): the
# default pipeline's model stages run in sample_run and the notebooks.
LIGHT_PIPELINE = """\
name: light
stages:
  - {stage: normalize_text}
  - {stage: length_filter, name: length, params: {min_chars: 20, min_words: 3}}
  - {stage: exact_dedup, params: {lowercase: true, against_curated: true}}
"""


def lakehouse_overrides(root: Path) -> list[str]:
    """Config overrides that keep a test's tables, checkpoints and MLflow store under ``root``."""
    return [
        f"lakehouse.root={root / 'lakehouse'}",
        f"mlflow.tracking_uri=sqlite:///{root / 'mlruns.db'}",
        f"mlflow.artifact_location={root / 'mlartifacts'}",
    ]


def config_with_sources(root: Path, *sources: str, extra: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """The repo config with tables under ``root``, reading only ``sources`` (YAML flow mappings)."""
    from dq_engine.config import load_config

    overrides = [*lakehouse_overrides(root), f"ingest.sources=[{', '.join(sources)}]", *extra]
    return load_config(REPO_ROOT / "conf", overrides=overrides)


@pytest.fixture(scope="session")
def sample_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The whole pipeline run once on the bundled sample, shared by the tests that inspect its tables."""
    from dq_engine.config import load_config
    from dq_engine.runner import run_job

    root = tmp_path_factory.mktemp("sample_run")
    config = load_config(REPO_ROOT / "conf", overrides=lakehouse_overrides(root))
    report = run_job("run", config, spark)
    return config, report


@pytest.fixture(scope="session")
def two_web_runs(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Two uninterrupted runs over the sample's two web batches, shared by every worker (web_batches.py)."""
    from web_batches import two_web_runs as make

    return make(spark, tmp_path_factory.getbasetemp())


@pytest.fixture()
def ctx(spark: SparkSession, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A RunContext over an empty scratch lakehouse, for unit tests of single stages."""
    from dq_engine.config import LakehouseSettings, load_config
    from dq_engine.core.context import RunContext
    from dq_engine.versioning import Tables

    config = load_config(REPO_ROOT / "conf")
    return RunContext(spark=spark, config=config, tables=Tables(spark, LakehouseSettings(root=str(tmp_path))))
