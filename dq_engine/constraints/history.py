"""Metric history: a Deequ metrics repository persisted in the lakehouse, one file per audited table.

Every audit appends its metrics (size, completeness, compliance shares, quantiles, histograms ...) to a
Deequ ``FileSystemMetricsRepository`` under ``<lakehouse.root>/ops/deequ_metrics/<table>.json`` (any
Hadoop file system: a local folder, ``s3://``, ``abfss://``), keyed by the run time in milliseconds and
tagged with ``run_id``, ``table``, ``table_version``, ``pipeline`` and ``suite``. Anomaly checks read the
same file: Deequ compares this run's value of a metric with the values it holds for the same analyzer.
One file per table keeps the history of ``silver_documents`` from mixing with another table's.

The repository holds metrics only (numbers keyed by analyzer), never document text. ``ops.dq_metrics``
keeps the same numbers as a Delta table for SQL; the repository is what Deequ's anomaly detection reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

import dq_engine.spark.session  # noqa: F401  - sets SPARK_VERSION, which pydeequ reads at import

# isort: split
from pydeequ.repository import FileSystemMetricsRepository, ResultKey

TAG_KEYS = ("run_id", "table", "table_version", "pipeline", "suite")
HISTORY_COLUMNS = ("dataset_date", "run_time", *TAG_KEYS, "entity", "instance", "name", "value")


def repository_path(lakehouse_root: str, table: str) -> str:
    """Where the metric history of ``table`` lives: ``<root>/ops/deequ_metrics/<table>.json``."""
    root = lakehouse_root.rstrip("/")
    if "://" not in root and not root.startswith("dbfs:"):
        root = str(Path(root).resolve())
    return f"{root}/ops/deequ_metrics/{table}.json"


@dataclass(frozen=True)
class MetricsHistory:
    """Where a suite run reads its metric history from and (when ``save``) appends its metrics to.

    Attributes:
        path: the repository file (see :func:`repository_path`).
        tags: the result key's tags (``run_id``, ``table``, ``table_version``, ``pipeline``, ``suite``).
        dataset_date: the result key's time in epoch milliseconds; default: now. Deequ orders the history
            by it, so it must grow from run to run.
        save: ``False`` reads the history for anomaly checks without adding this run (re-audits of past
            versions must not rewrite the history).
    """

    path: str
    tags: dict[str, str] = field(default_factory=dict)
    dataset_date: int = field(default_factory=lambda: int(time.time() * 1000))
    save: bool = True

    def repository(self, spark: SparkSession) -> FileSystemMetricsRepository:
        return FileSystemMetricsRepository(spark, self.path)

    def result_key(self, spark: SparkSession) -> ResultKey:
        return ResultKey(spark, self.dataset_date, {k: str(v) for k, v in self.tags.items()})


def load_history(
    spark: SparkSession, path: str, tags: dict[str, str] | None = None, ordered: bool = True
) -> DataFrame:
    """Every metric stored at ``path`` as a frame with :data:`HISTORY_COLUMNS`, oldest first.

    An absent repository gives an empty frame. ``tags`` filters on tag values (e.g. ``{"suite": "x"}``).
    """
    repo: Any = FileSystemMetricsRepository(spark, path).load()
    if tags:
        repo = repo.withTagValues({k: str(v) for k, v in tags.items()})
    df = repo.getSuccessMetricsAsDataFrame(withTags=list(TAG_KEYS))
    if "dataset_date" not in df.columns:  # nothing stored yet
        df = spark.createDataFrame(
            [], "entity string, instance string, name string, value double, dataset_date long"
        )
    for key in TAG_KEYS:
        if key not in df.columns:
            df = df.withColumn(key, F.lit(None).cast("string"))
    out = df.select(
        F.col("dataset_date").cast("long").alias("dataset_date"),
        F.timestamp_millis(F.col("dataset_date").cast("long")).alias("run_time"),
        *TAG_KEYS,
        "entity",
        "instance",
        "name",
        "value",
    )
    return out.orderBy("dataset_date", "entity", "instance", "name") if ordered else out
