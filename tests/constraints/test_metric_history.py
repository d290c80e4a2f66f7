"""Metric history in a Deequ file repository and anomaly checks over it: two normal runs, then an anomaly."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from dq_engine.constraints import MetricsHistory, SuiteSpec, load_history, repository_path, run_suite

SUITE = SuiteSpec.model_validate(
    {
        "name": "batches",
        "checks": [
            {"name": "non_empty", "level": "error", "constraints": [{"type": "has_size", "assertion": "> 0"}]}
        ],
        "anomaly_checks": [
            {
                "name": "size_jump",
                "level": "error",
                "metric": {"analyzer": "size"},
                "strategy": "relative_rate_of_change",
                "max_rate_decrease": 0.5,
                "max_rate_increase": 2.0,
                "hint": "the batch size more than doubled",
            },
            {
                "name": "duplicate_rate_change",
                "level": "warning",
                "metric": {"analyzer": "compliance", "name": "duplicate_rate", "predicate": "is_dup"},
                "strategy": "absolute_change",
                "max_rate_decrease": -1.0,
                "max_rate_increase": 0.1,
            },
        ],
    }
)


def _batch(spark: SparkSession, rows: int, duplicates: int):  # type: ignore[no-untyped-def]
    return spark.range(rows).selectExpr("id", f"id < {duplicates} AS is_dup")


def test_anomaly_is_detected_on_the_third_run(spark: SparkSession, tmp_path: Path) -> None:
    path = repository_path(str(tmp_path / "lakehouse"), "silver_documents")
    assert path.endswith("/ops/deequ_metrics/silver_documents.json")
    runs = [(100, 5), (110, 6), (400, 100)]  # sizes 100 -> 110 (normal) -> 400 (x3.6); dup rate 5% -> 25%
    outcomes = []
    for i, (rows, dups) in enumerate(runs):
        history = MetricsHistory(
            path=path,
            tags={
                "run_id": f"run-{i}",
                "table": "silver_documents",
                "table_version": str(i),
                "pipeline": "p",
            },
            dataset_date=1_700_000_000_000 + i * 3_600_000,
        )
        outcomes.append(run_suite(spark, _batch(spark, rows, dups), SUITE, history))

    first, second, third = outcomes
    # run 1 has no history: its anomaly checks are skipped (and say why), not failed
    assert first.passed and {s.check for s in first.skipped} == {"size_jump", "duplicate_rate_change"}
    assert "no earlier value" in first.skipped[0].note
    assert second.passed and second.failures == [] and second.skipped == []
    assert not third.passed
    assert [(f.check, f.level) for f in third.failures] == [
        ("size_jump", "error"),
        ("duplicate_rate_change", "warning"),
    ]
    assert third.failures[0].measured == 400.0
    assert "relative_rate_of_change" in third.failures[0].asserted

    history = load_history(spark, path)
    sizes = [
        (r["run_id"], r["table_version"], r["value"])
        for r in history.where("name = 'Size'").orderBy("dataset_date").collect()
    ]
    assert sizes == [("run-0", "0", 100.0), ("run-1", "1", 110.0), ("run-2", "2", 400.0)]
    rates = [
        r["value"] for r in history.where("instance = 'duplicate_rate'").orderBy("dataset_date").collect()
    ]
    assert rates == pytest.approx([0.05, 6 / 110, 0.25])


def test_a_reaudit_reads_the_history_without_adding_to_it(spark: SparkSession, tmp_path: Path) -> None:
    path = str(tmp_path / "h.json")
    for i, rows in enumerate((100, 100)):
        run_suite(spark, _batch(spark, rows, 1), SUITE, MetricsHistory(path=path, dataset_date=1000 + i))
    probe = MetricsHistory(path=path, dataset_date=5000, save=False)
    outcome = run_suite(spark, _batch(spark, 1000, 1), SUITE, probe)
    assert [f.check for f in outcome.failures] == ["size_jump"]
    assert load_history(spark, path).where("name = 'Size'").count() == 2
