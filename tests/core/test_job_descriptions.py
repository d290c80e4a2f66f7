"""Spark jobs carry the engine's step names, and the event-log profile reads them back."""

from __future__ import annotations

import json
from pathlib import Path

from pyspark.sql import SparkSession

from bench.event_log_profile import END, START, covered, executions
from dq_engine.spark.jobs import DESCRIPTION, described


def test_described_sets_and_restores_the_job_description(spark: SparkSession) -> None:
    sc = spark.sparkContext
    before = sc.getLocalProperty(DESCRIPTION)
    with described(spark, "dq-engine: outer"):
        assert sc.getLocalProperty(DESCRIPTION) == "dq-engine: outer"
        with described(spark, "dq-engine: inner"):
            assert sc.getLocalProperty(DESCRIPTION) == "dq-engine: inner"
            assert spark.range(3).count() == 3
        assert sc.getLocalProperty(DESCRIPTION) == "dq-engine: outer"
    assert sc.getLocalProperty(DESCRIPTION) == before


def test_the_profile_counts_top_level_executions_once(tmp_path: Path) -> None:
    def event(kind: str, execution: int, time: int, **extra: object) -> str:
        return json.dumps({"Event": kind, "executionId": execution, "time": time, **extra})

    log = tmp_path / "events"
    log.write_text(
        "\n".join(
            [
                json.dumps({"Event": "SparkListenerJobStart", "Job ID": 0}),
                event(START, 1, 1000, description="dq-engine: append silver_documents", rootExecutionId=1),
                # a Delta write's own job, nested in execution 1: not counted again
                event(START, 2, 1200, description="inner", rootExecutionId=1),
                event(END, 2, 1800),
                event(END, 1, 3000),
                event(START, 3, 2500, description="dq-engine near_dedup: candidates\nmore"),
                event(END, 3, 4000),
                event(START, 4, 9000, description="dq-engine: append silver_documents"),
                event(END, 4, 9500),
            ]
        ),
        encoding="utf-8",
    )
    spans = executions(log)
    assert spans == [
        (1000, 3000, "dq-engine: append silver_documents"),
        (2500, 4000, "dq-engine near_dedup: candidates"),
        (9000, 9500, "dq-engine: append silver_documents"),
    ]
    assert covered(spans) == 3000 + 500  # 1000-4000 overlapping, then 9000-9500
