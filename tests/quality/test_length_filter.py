"""LengthFilter flags (never drops) documents outside the bounds."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.core.stage import StageError
from dq_engine.quality import LengthFilter


def test_flags_by_chars_and_words(spark: SparkSession, ctx: RunContext) -> None:
    rows = [
        ("short", "tiny"),
        ("ok", "four words right here"),
        ("few", "twowords onlyhere ok"),
        ("long", "word " * 30),
    ]
    df = spark.createDataFrame(rows, "doc_id string, text string")
    stage = LengthFilter({"min_chars": 5, "max_chars": 100, "min_words": 4}, label="len")
    out = {r["doc_id"]: r for r in stage.apply(df, ctx).collect()}
    assert out["short"]["len_reason"] == "too_short"
    assert out["ok"]["len_reason"] is None
    assert out["few"]["len_reason"] == "too_few_words"
    assert out["long"]["len_reason"] == "too_long"
    assert out["ok"]["len_score"] == len("four words right here")
    assert out["ok"]["len_words"] == 4
    assert len(out) == len(rows)  # a filter never drops


def test_inverted_bounds_are_rejected() -> None:
    with pytest.raises(StageError, match="min_chars must be <= max_chars"):
        LengthFilter({"min_chars": 10, "max_chars": 5})
