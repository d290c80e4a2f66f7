"""Deequ's constraint suggestions become a YAML suite that loads back and passes on its table."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from dq_engine.constraints import load_suite, run_suite
from dq_engine.constraints.suggest import suggest_suite


@pytest.mark.slow
def test_suggested_suite_loads_back_and_passes(spark: SparkSession, tmp_path: Path) -> None:
    rows = [
        (f"doc-{i:03d}", f"text number {i} with secret-{i}", "web" if i % 3 else "forum", i % 7, None)
        for i in range(60)
    ]
    df = spark.createDataFrame(rows, "doc_id string, text string, source string, n int, note string")

    suggestion = suggest_suite(spark, df, name="docs_suggested")
    path = tmp_path / "docs_suggested.yaml"
    path.write_text(suggestion.to_yaml("docs version 3"), encoding="utf-8")

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Starter suite suggested by Deequ from docs version 3.")
    assert "secret-" not in text  # the text column is never profiled
    suite = load_suite(path)
    constraints = {(c.type, c.column) for c in suite.checks[0].constraints}
    assert ("is_complete", "doc_id") in constraints
    assert ("is_non_negative", "n") in constraints
    assert any(t == "is_contained_in" and col == "source" for t, col in constraints)
    assert all(col != "text" for _, col in constraints)
    outcome = run_suite(spark, df, suite)
    assert outcome.passed and outcome.failures == []
