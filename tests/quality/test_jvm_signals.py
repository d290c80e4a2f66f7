"""The JVM quality signals equal the reference SQL + Arrow signals, value for value.

``engine: sql`` is the definition (Spark SQL regexes in signals.py, the Arrow n-gram function in
repetition.py); ``engine: jvm`` is the one-pass Java class the stage uses by default. Every signal of
every document must be identical, doubles included: both compute the same integer counts and divide
them once.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.quality import QualityHeuristics, QualityHeuristicsParams, jvm

# Each probes one place where the two definitions could part: whitespace classes (ASCII for tokens and
# lines, Unicode for n-gram words), line normalisation's 64-character bound, paragraph separators,
# code points beyond the BMP, case folding, the final-line-terminator rule of Java's `$`.
TRICKY = [
    "",
    "   \n\t  \r\n ",
    "The cat sat on the mat.\r\nThe cat sat on the mat.  \r\n\r\nBuy now... #deal #sale",
    "line one" + " " * 70 + "\nline two\t\x0b\f \n\n\n   line three   ",
    "• bullet\n- dash\n* star\n‣ tri\nplain…\nends...\nends....\n……",
    "Sentence one.  Two!\u2028",
    "End with a separator?\u0085",
    "Mid\u2028line. and.\u2029more",
    "Ünïcödé wörds, 中文字符 没有空格。日本語のテキスト！ 😀 emoji 😀 𝟙𝟚𝟛 ١٢٣ digits",
    "İstanbul THE The tHe the-the the_the théâtre the2 ʻthe ΟΔΟΣ the",
    "lorem IPSUM dolor { javascript: void(0) }\nWe use cookies. See our Privacy Policy.\nTERMS OF USE apply",
    "para one\n \npara two\n\t\n\npara one\n\npara two\n\n  \n para one",
    "word\u00a0glued\u3000ideographic\u2003em\u200bzero-width\u202fnarrow \u1680ogham",
    "### ... … ... #",
    "a a a a a a a a a a a a a a a a a a a a a a a a a a a a",
    "x\ny\nx\ny\nx\ny\nx\n",
    "no terminal punctuation here\nnor here\nbut here.",
    "\ud83d\ude00" * 40 + "\n" + "short",
]

PIECES = [
    "the", "The", "and", "of", "to", "be", "with", "that", "have", "word", "Wörd", "中文", "😀", "𝟙", "٣",
    "İ", "ς", "javascript", "privacy policy", "Lorem ipsum", "{", "#", ".", "...", "…", "!", "?", "。",
    "•", "-", "*", "'", "\"", " ", " ", " ", " ", "  ", "\t", "\n", "\n", "\n\n", "\r\n", "\x0b", "\f",
    "\u00a0", "\u2028", "\u0085", "\u3000", "\u1680", "x" * 40,
]  # fmt: skip


def _random_docs(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        parts = [rng.choice(PIECES) for _ in range(rng.randint(0, 120))]
        text = "".join(parts)
        if rng.random() < 0.3:  # repeated lines and paragraphs
            text = (text + "\n") * rng.randint(2, 3) + text[: rng.randint(0, len(text))]
        if rng.random() < 0.1:
            text = " " * rng.randint(60, 70) + "\n" + text + " " * rng.randint(60, 70) + "\n" + text
        docs.append(text)
    return docs


def _signals(spark: SparkSession, ctx: RunContext, docs: list[str | None], **params: Any) -> list[dict]:
    out = {}
    df = spark.createDataFrame(list(enumerate(docs)), "i int, text string")
    for engine in ("jvm", "sql"):
        stage = QualityHeuristics(QualityHeuristicsParams(engine=engine, **params), label="qh")
        cols = ["i", *(stage.signal_column(s) for s in stage.signal_names())]
        rows = stage.score(df, ctx).select(*cols).orderBy("i").collect()
        out[engine] = [r.asDict() for r in rows]
    assert len(out["jvm"]) == len(docs)
    return [out["jvm"], out["sql"]]


def _assert_equal(jvm_rows: list[dict], sql_rows: list[dict], docs: list[str | None]) -> None:
    for j, s in zip(jvm_rows, sql_rows, strict=True):
        diff = {k: (j[k], s[k]) for k in j if j[k] != s[k]}
        assert not diff, f"doc {j['i']} {docs[j['i']]!r}: (jvm, sql) differ on {diff}"


def test_the_jar_is_on_the_test_sessions_classpath(spark: SparkSession) -> None:
    # `make jars` builds it; without it the stage would silently take the slow path in every test
    assert jvm.jvm_available(spark)


def test_jvm_equals_sql_on_tricky_documents(spark: SparkSession, ctx: RunContext) -> None:
    docs: list[str | None] = [*TRICKY, None]
    jvm_rows, sql_rows = _signals(spark, ctx, docs)
    _assert_equal(jvm_rows, sql_rows, docs)
    # and the comparison is not vacuous: the documents move every signal somewhere
    for key in jvm_rows[0]:
        if key != "i":
            assert len({r[key] for r in jvm_rows}) > 1, key


def test_jvm_equals_sql_on_random_documents(spark: SparkSession, ctx: RunContext) -> None:
    docs: list[str | None] = list(_random_docs(1500, seed=11))
    jvm_rows, sql_rows = _signals(spark, ctx, docs)
    _assert_equal(jvm_rows, sql_rows, docs)


def test_jvm_equals_sql_with_other_parameters(spark: SparkSession, ctx: RunContext) -> None:
    # stop words with non-letters take the regex path in Java; other n-gram sizes and short lines
    docs: list[str | None] = [*TRICKY, *_random_docs(300, seed=5), "don't e-mail Don't E-MAIL don'tx"]
    params = {
        "stop_words": ["don't", "e-mail", "the"],
        "fineweb_short_line_length": 5,
        "gopher_max_top_ngram": {1: 0.5, 3: 0.2},
        "gopher_max_dup_ngram": {2: 0.3},
    }
    jvm_rows, sql_rows = _signals(spark, ctx, docs, **params)
    _assert_equal(jvm_rows, sql_rows, docs)
    assert jvm_rows[-1]["qh_stop_word_count"] == 4
    no_ngrams = {"stop_words": [], "gopher_max_top_ngram": {}, "gopher_max_dup_ngram": {}}
    jvm_rows, sql_rows = _signals(spark, ctx, docs[:20], **no_ngrams)
    _assert_equal(jvm_rows, sql_rows, docs)


def test_engine_sql_runs_no_java_udf_and_jvm_runs_one(spark: SparkSession, ctx: RunContext) -> None:
    df = spark.createDataFrame([(0, "some text here")], "i int, text string")
    plans = {}
    for engine in ("jvm", "sql"):
        scored = QualityHeuristics({"engine": engine}, label="qh").score(df, ctx)
        plans[engine] = scored._jdf.queryExecution().executedPlan().toString()
    assert plans["jvm"].count("dq_quality_signals_") == 1
    assert "dq_quality_signals_" not in plans["sql"]
    assert "regexp_count" not in plans["jvm"]


def test_a_stop_word_with_a_separator_character_is_refused(spark: SparkSession, ctx: RunContext) -> None:
    df = spark.createDataFrame([(0, "x")], "i int, text string")
    with pytest.raises(ValueError, match="U\\+001E"):
        QualityHeuristics({"engine": "jvm", "stop_words": ["a\x1eb"]}, label="qh").score(df, ctx)
