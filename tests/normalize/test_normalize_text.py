"""NormalizeText: Unicode form and whitespace, in Spark SQL plus one Arrow UDF."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.core.stage import StageError
from dq_engine.normalize import NormalizeText

CASES = [
    ("  hello   world  ", "hello world"),
    ("line one\r\nline two\rthree", "line one\nline two\nthree"),
    ("a\n\n\n\n\nb", "a\n\nb"),
    ("tab\t\tseparated \u00a0 words", "tab separated words"),
    ("zero\u200bwidth\ufeff joiner\u00ad", "zerowidth joiner"),
    ("control\x07 chars\x1b", "control chars"),
    ("cafe\u0301", "caf\u00e9"),  # NFC composes e + combining acute
    ("trailing spaces   \nnext", "trailing spaces\nnext"),
    ("", ""),
]


def test_normalizes_known_inputs(spark: SparkSession, ctx: RunContext) -> None:
    df = spark.createDataFrame([(str(i), t) for i, (t, _) in enumerate(CASES)], "doc_id string, text string")
    out = {r["doc_id"]: r for r in NormalizeText().apply(df, ctx).collect()}
    for i, (raw, expected) in enumerate(CASES):
        assert out[str(i)]["text"] == expected, repr(raw)
        assert out[str(i)]["text_chars_removed"] == len(raw) - len(expected)


def test_nfkc_folds_compatibility_characters(spark: SparkSession, ctx: RunContext) -> None:
    df = spark.createDataFrame([("1", "\uff21\uff22\uff23 \ufb01le")], "doc_id string, text string")
    assert NormalizeText({"form": "NFKC"}).apply(df, ctx).head()["text"] == "ABC file"
    assert NormalizeText({"form": "NFC"}).apply(df, ctx).head()["text"] == "\uff21\uff22\uff23 \ufb01le"


def test_null_text_stays_null(spark: SparkSession, ctx: RunContext) -> None:
    df = spark.createDataFrame([("1", None)], "doc_id string, text string")
    assert NormalizeText().apply(df, ctx).head()["text"] is None


def test_unknown_param_is_rejected() -> None:
    with pytest.raises(StageError, match="normalize_text.*fomr"):
        NormalizeText({"fomr": "NFC"})
