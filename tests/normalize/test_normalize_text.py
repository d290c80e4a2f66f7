"""NormalizeText: Unicode form and whitespace, by both engines (Spark SQL + one Arrow UDF, and Java)."""

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


@pytest.mark.parametrize("engine", ["sql", "jvm"])
def test_normalizes_known_inputs(spark: SparkSession, ctx: RunContext, engine: str) -> None:
    df = spark.createDataFrame([(str(i), t) for i, (t, _) in enumerate(CASES)], "doc_id string, text string")
    out = {r["doc_id"]: r for r in NormalizeText({"engine": engine}).apply(df, ctx).collect()}
    for i, (raw, expected) in enumerate(CASES):
        assert out[str(i)]["text"] == expected, repr(raw)
        assert out[str(i)]["text_chars_removed"] == len(raw) - len(expected)


@pytest.mark.parametrize("engine", ["sql", "jvm"])
def test_nfkc_folds_compatibility_characters(spark: SparkSession, ctx: RunContext, engine: str) -> None:
    df = spark.createDataFrame([("1", "\uff21\uff22\uff23 \ufb01le")], "doc_id string, text string")
    assert NormalizeText({"form": "NFKC", "engine": engine}).apply(df, ctx).head()["text"] == "ABC file"
    nfc = NormalizeText({"form": "NFC", "engine": engine}).apply(df, ctx).head()["text"]
    assert nfc == "\uff21\uff22\uff23 \ufb01le"


@pytest.mark.parametrize("engine", ["sql", "jvm"])
def test_null_text_stays_null(spark: SparkSession, ctx: RunContext, engine: str) -> None:
    df = spark.createDataFrame([("1", None)], "doc_id string, text string")
    assert NormalizeText({"engine": engine}).apply(df, ctx).head()["text"] is None


def test_unknown_param_is_rejected() -> None:
    with pytest.raises(StageError, match="normalize_text.*fomr"):
        NormalizeText({"fomr": "NFC"})
