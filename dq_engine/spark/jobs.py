"""Names for the Spark jobs the engine runs, as the Spark UI and event logs show them.

Spark describes a job by the JVM call site that started it, which for PySpark writes is
``save at NativeMethodAccessorImpl.java:0`` for every append. :func:`described` sets the job
description (a thread-local Spark property) around an action, so the UI's SQL tab, a Databricks job
run and ``bench/event_log_profile.py`` name the step instead: ``dq-engine: append silver_documents``,
``dq-engine near_dedup: candidates``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession

DESCRIPTION = "spark.job.description"


@contextmanager
def described(spark: SparkSession, text: str) -> Iterator[None]:
    """Run the block's Spark actions under the job description ``text``; the previous one after."""
    sc = spark.sparkContext
    previous = sc.getLocalProperty(DESCRIPTION)
    sc.setLocalProperty(DESCRIPTION, text)
    try:
        yield
    finally:
        sc.setLocalProperty(DESCRIPTION, previous)  # type: ignore[arg-type]  # None removes it
