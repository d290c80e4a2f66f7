"""Corpus text metrics and the default curated-corpus suite, on tiny batches whose metrics are known."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from dq_engine.constraints import SuiteSpec, load_suite, run_suite
from dq_engine.constraints.corpus import (
    KEPT,
    PII_FINDINGS,
    PII_RESIDUAL,
    TEXT_CHARS,
    TEXT_WORDS,
    corpus_frame,
    with_text_metrics,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CURATED = REPO_ROOT / "conf" / "constraints" / "curated_corpus.yaml"

# 8 kept documents (lengths 60..95 chars) and 2 rejections: 1 exact duplicate, 1 too short.
KEPT_TEXT = [
    "The harbour opened at dawn and the fishing boats left in a long quiet line.",
    "Rain fell on the old town all afternoon, and the market closed early that day.",
    "A short history of the bridge: built in stone, rebuilt in steel, painted green.",
    "Contact the maintainer at jane.doe@example.org for access to the archive files.",
    "The library keeps maps of every street, drawn by hand over two hundred years.",
    "Students measured the river depth each morning and wrote the numbers in a book.",
    "Trains to the coast run every hour; the last one leaves a little after midnight.",
    "The museum's new wing shows tools, coins and letters found under the square.",
]
SCHEMA = "doc_id string, text string, source string"


def _kept(spark: SparkSession, extra: str = "") -> DataFrame:
    rows = [(f"d{i}", text, "web" if i < 6 else "forum") for i, text in enumerate(KEPT_TEXT)]
    df = spark.createDataFrame(rows, SCHEMA)
    return df.selectExpr("*", *([extra] if extra else []))


def _rejections(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [("r0", "exact_dedup", "exact_duplicate", "web"), ("r1", "length", "too_short", "forum")],
        "doc_id string, stage string, reason string, source string",
    )


def test_text_metric_columns_are_exact(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("a", "two words"),
            ("b", "  spaced   out\ttext  "),
            ("c", "mail me: x.y@z.io or +44 20 7946 0958"),
            ("d", ""),
            ("e", None),
        ],
        "doc_id string, text string",
    )
    got = {r["doc_id"]: r for r in with_text_metrics(df).collect()}
    assert (got["a"][TEXT_CHARS], got["a"][TEXT_WORDS], got["a"][PII_RESIDUAL]) == (9, 2, 0)
    assert (got["b"][TEXT_WORDS], got["b"][PII_RESIDUAL]) == (3, 0)
    assert (got["c"][TEXT_WORDS], got["c"][PII_RESIDUAL]) == (8, 2)  # one e-mail, one phone number
    assert (got["d"][TEXT_CHARS], got["d"][TEXT_WORDS]) == (0, 0)
    assert got["e"][TEXT_CHARS] is None and got["e"][TEXT_WORDS] is None


def test_corpus_frame_has_kept_and_rejected_rows_without_text(spark: SparkSession) -> None:
    findings = spark.createDataFrame(
        [("d3", "EMAIL"), ("d3", "EMAIL"), ("d1", "PHONE")], "doc_id string, kind string"
    )
    frame = corpus_frame(_kept(spark), _rejections(spark), findings)
    rows = {r["doc_id"]: r for r in frame.collect()}
    assert len(rows) == 10
    assert sum(1 for r in rows.values() if r[KEPT]) == 8
    assert rows["r0"]["rejection_reason"] == "exact_duplicate" and rows["r0"]["text"] is None
    assert rows["d3"][PII_FINDINGS] == 2 and rows["d1"][PII_FINDINGS] == 1 and rows["d0"][PII_FINDINGS] == 0
    assert rows["r1"][PII_FINDINGS] is None


@pytest.fixture(scope="module")
def curated() -> SuiteSpec:
    return load_suite(CURATED)


@pytest.mark.slow
def test_curated_suite_asserts_what_ran_and_skips_the_rest(spark: SparkSession, curated: SuiteSpec) -> None:
    # A toxicity stage ran and scored one kept document of eight as toxic (12.5% > 1%: a warning);
    # no language, near-dedup or PII stage ran.
    kept = _kept(spark, "CASE WHEN doc_id = 'd5' THEN 0.9 ELSE 0.1 END AS toxicity_score")
    outcome = run_suite(spark, corpus_frame(kept, _rejections(spark)), curated)

    assert outcome.passed, [f.explain() for f in outcome.failures]  # warnings never block
    # 1 of 8 kept documents still carries an e-mail address: 87.5% residual-free < 90%, also a warning
    by_name = {f.spec.split(":")[0]: f for f in outcome.failures}
    assert sorted(by_name) == ["satisfies(pii_residual_free_share", "satisfies(toxic_rate"]
    assert by_name["satisfies(pii_residual_free_share"].failing_ids == ("d3",)
    toxic = by_name["satisfies(toxic_rate"]
    assert toxic.level == "warning"
    assert toxic.measured == pytest.approx(0.125)
    assert toxic.asserted == "<= 0.01"
    assert toxic.failing_ids == (
        "d0",
        "d1",
        "d2",
        "d3",
        "d4",
        "d6",
        "d7",
    )  # rows where the predicate is false
    assert "measured 0.125, asserted <= 0.01" in toxic.explain()

    skipped = " | ".join(f"{s.spec}: {s.note}" for s in outcome.skipped)
    for needle in (
        "near_duplicate_rate",
        "pii_finding_rate",
        "confident_language_share",
        "is_complete(lang)",
    ):
        assert needle in skipped, needle
    for stage in ("language", "near_dedup", "pii_mask"):
        assert f"added by {stage}" in skipped
    assert "toxic" not in skipped
    results = {r["spec"]: r for r in outcome.check_results.collect()}
    near = next(r for spec, r in results.items() if "near_duplicate_rate" in spec)
    assert near["constraint_status"] == "Skipped"  # reported, neither passed nor failed
    # measured truth: 2 of 10 rejected, 1 of 10 an exact duplicate, 1 of 8 kept with an e-mail
    metrics = {(r["instance"], r["name"]): r["value"] for r in outcome.metrics.collect()}
    assert metrics[("kept_share", "Compliance")] == pytest.approx(0.8)
    assert metrics[("exact_duplicate_rate", "Compliance")] == pytest.approx(0.1)
    assert metrics[("pii_residual_free_share", "Compliance (where: kept)")] == pytest.approx(7 / 8)
    assert metrics[("source", "Histogram.ratio.web")] == pytest.approx(0.7)  # 6 kept + 1 rejected of 10
    assert metrics[("rejection_reason", "Histogram.abs.too_short")] == 1.0
    assert metrics[("text_words", "ApproxQuantile-0.05 (where: kept)")] == 11.0  # the shortest kept document


def test_pii_left_after_the_mask_stage_blocks_publish(spark: SparkSession, curated: SuiteSpec) -> None:
    # pii_mask ran (pii_spans) and its re-scan left one finding in d3: an error, so publish is blocked
    spans = "CAST(array() AS array<struct<type:string>>)"
    kept = _kept(spark, "CASE WHEN doc_id = 'd3' THEN 1 ELSE 0 END AS pii_residual").selectExpr(
        "*", f"{spans} AS pii_spans"
    )
    outcome = run_suite(spark, corpus_frame(kept, _rejections(spark)), curated)
    assert not outcome.passed
    errors = [f for f in outcome.failures if f.level == "error"]
    assert [f.spec.split(":")[0] for f in errors] == ["satisfies(no_pii_residual"]
    assert errors[0].failing_ids == ("d3",)
    # the stage's residual is kept as written: masking only phone numbers, d3's e-mail is no residual
    kept = _kept(spark, "0 AS pii_residual").selectExpr("*", f"{spans} AS pii_spans")
    outcome = run_suite(spark, corpus_frame(kept, _rejections(spark)), curated)
    assert outcome.passed, [f.explain() for f in outcome.failures]
    # without the stage the audit's own detectors count it (a warning-level share), and the gate is skipped
    frame = corpus_frame(_kept(spark), _rejections(spark))
    assert frame.where("pii_residual > 0").select("doc_id").collect()[0]["doc_id"] == "d3"


def test_failing_ids_name_documents_never_text(spark: SparkSession) -> None:
    suite = SuiteSpec.model_validate(
        {
            "name": "rows",
            "checks": [
                {
                    "name": "no_residual_pii",
                    "level": "error",
                    "constraints": [
                        {"type": "satisfies", "name": "pii_free", "expression": "pii_residual = 0"},
                        {"type": "has_pattern", "column": "text", "pattern": "^[A-Z]"},
                    ],
                }
            ],
        }
    )
    df = with_text_metrics(
        spark.createDataFrame(
            [("ok", "Clean text."), ("leak", "Write to a@b.co now"), ("lower", "lower case start")],
            "doc_id string, text string",
        )
    )
    outcome = run_suite(spark, df, suite)

    assert not outcome.passed
    by_type = {f.spec.split("(")[0]: f for f in outcome.failures}
    assert by_type["satisfies"].failing_ids == ("leak",)
    assert by_type["has_pattern"].failing_ids == ("lower",)
    rows = outcome.check_results.collect()
    assert sorted(tuple(r["failing_ids"]) for r in rows) == [("leak",), ("lower",)]
    for row in rows:
        assert "a@b.co" not in str(row.asDict()) and "lower case" not in str(row.asDict())


def test_unresolvable_expression_fails_alone_with_a_clear_message(spark: SparkSession) -> None:
    suite = SuiteSpec.model_validate(
        {
            "name": "typo",
            "checks": [
                {
                    "name": "c",
                    "level": "warning",
                    "constraints": [
                        {"type": "satisfies", "name": "typo", "expression": "no_such_col > 1"},
                        {"type": "has_size", "assertion": "== 8"},
                    ],
                }
            ],
        }
    )
    outcome = run_suite(spark, _kept(spark), suite)
    assert [f.spec for f in outcome.failures] == ["satisfies(typo: no_such_col > 1) == 1"]
    assert "does not resolve" in outcome.failures[0].message
    statuses = [r["constraint_status"] for r in outcome.check_results.collect()]
    assert sorted(statuses) == ["Failure", "Success"]  # the size constraint still ran and passed
