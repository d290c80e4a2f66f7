"""Watermarks in ``ops.runs``: the copy each commit carries always equals what the rows say."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pyspark.sql import SparkSession

from dq_engine.config import LakehouseSettings
from dq_engine.versioning.runs import (
    REWOUND,
    RUNS_SCHEMA,
    _advance,
    _logged_marks,
    current_marks,
    queried_marks,
    record_run,
    watermarks,
)
from dq_engine.versioning.tables import Tables


def test_succeeded_rows_raise_rewound_rows_replace_and_others_change_nothing() -> None:
    marks = _advance({}, "curate", "succeeded", {"bronze_documents": 4})
    marks = _advance(marks, "curate", "succeeded", {"bronze_documents": 2})  # never moves back
    marks = _advance(marks, "publish", "succeeded", {"silver_documents": 3, "silver_rejections": 1})
    assert marks == {
        "curate": {"bronze_documents": 4},
        "publish": {"silver_documents": 3, "silver_rejections": 1},
    }
    assert _advance(marks, "curate", "failed", {"bronze_documents": 9}) == marks
    assert _advance(marks, "publish", "blocked", {"silver_documents": 9}) == marks
    rewound = _advance(marks, "publish", REWOUND, {"silver_documents": 1})
    assert rewound["publish"] == {"silver_documents": 1}  # silver_rejections: back to None
    assert rewound["curate"] == marks["curate"]


def test_the_logged_marks_follow_the_rows_and_a_foreign_commit_sends_readers_to_the_rows(
    spark: SparkSession, tmp_path: Path
) -> None:
    tables = Tables(spark, LakehouseSettings(root=str(tmp_path / "lakehouse")))
    assert current_marks(tables) == {} and watermarks(tables, "curate", ("bronze_documents",)) == {
        "bronze_documents": None
    }
    now = datetime.now(timezone.utc)
    steps = [
        ("curate", "succeeded", {"bronze_documents": 3}),
        ("publish", "succeeded", {"silver_documents": 0, "silver_rejections": 0}),
        ("curate", "failed", {"bronze_documents": 8}),
        ("curate", "succeeded", {"bronze_documents": 5}),
        ("publish", "blocked", {"silver_documents": 7}),
        ("curate", REWOUND, {"bronze_documents": 2}),
        ("ingest", "succeeded", {}),
        ("curate", "succeeded", {"bronze_documents": 4}),
    ]
    for i, (job, status, inputs) in enumerate(steps):
        record_run(tables, run_id=f"r{i}", job=job, status=status, started_at=now, input_versions=inputs)
        logged = _logged_marks(tables)
        assert logged is not None and logged == queried_marks(tables), (i, job, status)
    assert watermarks(tables, "curate", ("bronze_documents",)) == {"bronze_documents": 4}
    assert watermarks(tables, "publish", ("silver_documents", "silver_rejections")) == {
        "silver_documents": 0,
        "silver_rejections": 0,
    }

    # A row appended by hand (no watermarks in its commit): the rows are read, and it counts.
    row = (
        "by-hand",
        "curate",
        "succeeded",
        now,
        datetime.now(timezone.utc),
        {"bronze_documents": 11},
        {},
        {},
        None,
    )
    tables.append(spark.createDataFrame([row], RUNS_SCHEMA), "ops_runs")
    assert _logged_marks(tables) is None
    assert watermarks(tables, "curate", ("bronze_documents",)) == {"bronze_documents": 11}
    # the next engine commit carries the marks again, the hand-made row included
    record_run(tables, run_id="r9", job="publish", status="succeeded", started_at=now, input_versions={})
    assert _logged_marks(tables) == queried_marks(tables)
    assert _logged_marks(tables)["curate"] == {"bronze_documents": 11}  # type: ignore[index]
