"""Deequ suites run for real on the shared local session, against frames whose verdicts are known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from dq_engine.constraints import (
    CHECK_RESULT_COLUMNS,
    METRIC_COLUMNS,
    CheckSpec,
    ConstraintSpec,
    SuiteOutcome,
    SuiteSpec,
    build_check,
    load_suite,
    run_suite,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SUITE = REPO_ROOT / "conf" / "constraints" / "silver_documents.yaml"

DOC_SCHEMA = "doc_id string, text string, source string, source_uri string"


@pytest.fixture(scope="module")
def silver_suite() -> SuiteSpec:
    return load_suite(DEFAULT_SUITE)


def _docs(spark: SparkSession, rows: list[tuple[Any, ...]]) -> DataFrame:
    return spark.createDataFrame(rows, DOC_SCHEMA)


CLEAN_ROWS = [
    ("doc-001", "first document", "web", "s3://landing/a.jsonl"),
    ("doc-002", "second document", "forum", "s3://landing/a.jsonl"),
    ("doc-003", "third", "web", "s3://landing/b.jsonl"),
]


def test_clean_frame_passes(spark: SparkSession, silver_suite: SuiteSpec) -> None:
    outcome = run_suite(spark, _docs(spark, CLEAN_ROWS), silver_suite)

    assert outcome.passed
    assert outcome.status == "Success"
    assert outcome.failures == []
    assert outcome.suite == "silver_documents"
    assert tuple(outcome.check_results.columns) == CHECK_RESULT_COLUMNS
    assert tuple(outcome.metrics.columns) == METRIC_COLUMNS
    results = outcome.check_results.collect()
    n_constraints = sum(len(check.constraints) for check in silver_suite.checks)
    assert len(results) == n_constraints
    # The residual-PII check needs pii_mask's columns, which this frame lacks: skipped, not failed.
    by_status = {r["constraint_status"] for r in results if r["check"] != "silver_documents_pii_residual"}
    assert by_status == {"Success"}
    assert [r["constraint_status"] for r in results if r["check"] == "silver_documents_pii_residual"] == [
        "Skipped"
    ]
    assert [skip.check for skip in outcome.skipped] == ["silver_documents_pii_residual"]
    assert "pii_mask" in outcome.skipped[0].note
    assert {r["suite"] for r in results} == {"silver_documents"}
    metrics = {(r["entity"], r["instance"], r["name"]): r["value"] for r in outcome.metrics.collect()}
    assert metrics[("Dataset", "*", "Size")] == 3.0
    assert metrics[("Column", "doc_id", "Uniqueness")] == 1.0
    assert metrics[("Column", "text", "MinLength")] == 5.0


def test_duplicate_id_and_null_text_fail_the_error_checks(
    spark: SparkSession, silver_suite: SuiteSpec
) -> None:
    rows = [
        ("doc-7f3a", "first document", "web", "s3://landing/a.jsonl"),
        ("doc-7f3a", "a secret-ish sentence", "web", "s3://landing/a.jsonl"),
        ("doc-9c1e", None, "forum", "s3://landing/b.jsonl"),
        ("doc-0b22", "fourth", "forum", "s3://landing/b.jsonl"),
    ]
    outcome = run_suite(spark, _docs(spark, rows), silver_suite)

    assert not outcome.passed
    assert outcome.status == "Error"
    failed = {(f.check, f.level, f.constraint) for f in outcome.failures}
    assert failed == {
        ("silver_documents_integrity", "error", "UniquenessConstraint(Uniqueness(List(doc_id),None,None))"),
        ("silver_documents_integrity", "error", "CompletenessConstraint(Completeness(text,None,None))"),
    }
    by_constraint = {f.constraint: f.message for f in outcome.failures}
    uniqueness_msg = by_constraint["UniquenessConstraint(Uniqueness(List(doc_id),None,None))"]
    assert "Value: 0.5 does not meet the constraint requirement!" in uniqueness_msg
    assert "doc_id must identify one document" in uniqueness_msg  # the suite's hint
    assert "Value: 0.75" in by_constraint["CompletenessConstraint(Completeness(text,None,None))"]
    # Messages carry metric values, never the rows under test.
    for failure in outcome.failures:
        for value in ("doc-7f3a", "doc-9c1e", "secret-ish", "s3://landing"):
            assert value not in failure.message
    # The warning check still passed, and the row-level verdicts are in the results frame.
    statuses = {r["check"]: r["check_status"] for r in outcome.check_results.collect()}
    assert statuses == {
        "silver_documents_integrity": "Error",
        "silver_documents_hygiene": "Success",
        "silver_documents_pii_residual": "Skipped",
    }


def test_pii_left_after_masking_fails_the_residual_check(
    spark: SparkSession, silver_suite: SuiteSpec
) -> None:
    # pii_spans is null for rows written before pii_mask joined the pipeline: not its residual.
    frame = _docs(spark, CLEAN_ROWS).selectExpr(
        "*",
        "CASE WHEN doc_id = 'doc-003' THEN NULL ELSE array() END AS pii_spans",
        "CASE WHEN doc_id = 'doc-002' THEN 2 WHEN doc_id = 'doc-003' THEN 5 ELSE 0 END AS pii_residual",
    )
    outcome = run_suite(spark, frame, silver_suite)

    assert not outcome.passed
    assert [(f.check, f.level) for f in outcome.failures] == [("silver_documents_pii_residual", "error")]
    assert "Value: 0.66" in outcome.failures[0].message
    assert outcome.skipped == []


def test_warning_only_failure_does_not_block(spark: SparkSession, silver_suite: SuiteSpec) -> None:
    rows = [*CLEAN_ROWS, ("doc-004", "no provenance", "web", None)]
    outcome = run_suite(spark, _docs(spark, rows), silver_suite)

    assert outcome.passed
    assert outcome.status == "Warning"
    assert [(f.check, f.level, f.constraint) for f in outcome.failures] == [
        ("silver_documents_hygiene", "warning", "CompletenessConstraint(Completeness(source_uri,None,None))")
    ]
    assert "Value: 0.75 does not meet the constraint requirement!" in outcome.failures[0].message


def test_build_check_uses_name_and_level(spark: SparkSession) -> None:
    spec = CheckSpec(
        name="ids",
        level="warning",
        constraints=[
            ConstraintSpec(type="is_unique", column="doc_id"),
            ConstraintSpec(type="has_size", assertion="> 0"),
        ],
    )
    check = build_check(spark, spec)
    assert check.description == "ids"
    assert check.level.value == "Warning"
    assert check._Check.constraints().size() == 2


# --------------------------------------------------------------------------------- every supported type

KIND_SCHEMA = "doc_id string, n int, score double, text string, lang string, src string, uri string"
KIND_ROWS = [
    ("a", 1, 0.0, "hello", "en", "web", "s3://x/1"),
    ("b", 2, 0.5, "hi", "de", "web", "s3://x/2"),
    ("c", 3, 1.0, "hey there", "en", "web", None),
    ("d", -1, 0.25, "yo", "fr", "forum", "s3://x/4"),
]
# size 4 | n: min -1, max 3, mean 1.25, 3 of 4 positive | text lengths 5, 2, 9, 2; 3 of 4 start with "h"
# lang en, de, en, fr: uniqueness 2/4, distinctness 3/4 | (lang, src) has a duplicate | uri completeness 3/4

# (check name, constraint fields, expected Deequ check status for a warning-level check)
KIND_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("has_size_pass", {"type": "has_size", "assertion": "== 4"}, "Success"),
    ("has_size_fail", {"type": "has_size", "assertion": "> 4"}, "Warning"),
    ("is_complete_pass", {"type": "is_complete", "column": "doc_id"}, "Success"),
    ("is_complete_fail", {"type": "is_complete", "column": "uri"}, "Warning"),
    (
        "has_completeness_pass",
        {"type": "has_completeness", "column": "uri", "assertion": ">= 0.75"},
        "Success",
    ),
    (
        "has_completeness_fail",
        {"type": "has_completeness", "column": "uri", "assertion": "> 0.75"},
        "Warning",
    ),
    ("is_unique_pass", {"type": "is_unique", "column": "doc_id"}, "Success"),
    ("is_unique_fail", {"type": "is_unique", "column": "lang"}, "Warning"),
    ("is_unique_columns_pass", {"type": "is_unique", "columns": ["doc_id", "lang"]}, "Success"),
    ("is_unique_columns_fail", {"type": "is_unique", "columns": ["lang", "src"]}, "Warning"),
    (
        "has_uniqueness_pass",
        {"type": "has_uniqueness", "columns": ["lang"], "assertion": "== 0.5"},
        "Success",
    ),
    ("has_uniqueness_fail", {"type": "has_uniqueness", "columns": ["lang"], "assertion": "> 0.5"}, "Warning"),
    (
        "has_distinctness_pass",
        {"type": "has_distinctness", "columns": ["lang"], "assertion": "== 0.75"},
        "Success",
    ),
    (
        "has_distinctness_fail",
        {"type": "has_distinctness", "columns": ["lang"], "assertion": "< 0.75"},
        "Warning",
    ),
    ("is_non_negative_pass", {"type": "is_non_negative", "column": "score"}, "Success"),
    ("is_non_negative_fail", {"type": "is_non_negative", "column": "n"}, "Warning"),
    ("has_min_pass", {"type": "has_min", "column": "n", "assertion": "== -1"}, "Success"),
    ("has_min_fail", {"type": "has_min", "column": "n", "assertion": ">= 0"}, "Warning"),
    ("has_max_pass", {"type": "has_max", "column": "n", "assertion": "== 3"}, "Success"),
    ("has_max_fail", {"type": "has_max", "column": "n", "assertion": "< 3"}, "Warning"),
    ("has_mean_pass", {"type": "has_mean", "column": "n", "assertion": "between 1.2 and 1.3"}, "Success"),
    ("has_mean_fail", {"type": "has_mean", "column": "n", "assertion": "> 2"}, "Warning"),
    ("has_min_length_pass", {"type": "has_min_length", "column": "text", "assertion": ">= 2"}, "Success"),
    ("has_min_length_fail", {"type": "has_min_length", "column": "text", "assertion": ">= 3"}, "Warning"),
    ("has_max_length_pass", {"type": "has_max_length", "column": "text", "assertion": "== 9"}, "Success"),
    ("has_max_length_fail", {"type": "has_max_length", "column": "text", "assertion": "<= 8"}, "Warning"),
    (
        "is_contained_in_pass",
        {"type": "is_contained_in", "column": "lang", "values": ["en", "de", "fr"]},
        "Success",
    ),
    (
        "is_contained_in_fail",
        {"type": "is_contained_in", "column": "lang", "values": ["en", "de"]},
        "Warning",
    ),
    (
        "is_contained_in_ratio_pass",
        {"type": "is_contained_in", "column": "lang", "values": ["en", "de"], "assertion": ">= 0.75"},
        "Success",
    ),
    ("has_pattern_pass", {"type": "has_pattern", "column": "text", "pattern": "^[a-z ]+$"}, "Success"),
    ("has_pattern_fail", {"type": "has_pattern", "column": "text", "pattern": "^h"}, "Warning"),
    (
        "has_pattern_ratio_pass",
        {
            "type": "has_pattern",
            "column": "text",
            "pattern": "^h",
            "assertion": "== 0.75",
            "name": "starts_h",
        },
        "Success",
    ),
    ("satisfies_fail", {"type": "satisfies", "expression": "n > 0", "name": "positive_n"}, "Warning"),
    (
        "satisfies_ratio_pass",
        {"type": "satisfies", "expression": "n > 0", "name": "mostly_positive_n", "assertion": ">= 0.75"},
        "Success",
    ),
    ("missing_column_fail", {"type": "is_complete", "column": "no_such_column"}, "Warning"),
    ("has_sum_pass", {"type": "has_sum", "column": "n", "assertion": "== 5"}, "Success"),
    ("has_sum_fail", {"type": "has_sum", "column": "n", "assertion": "> 5"}, "Warning"),
    (
        "has_standard_deviation_pass",
        {"type": "has_standard_deviation", "column": "score", "assertion": "between 0.369 and 0.370"},
        "Success",
    ),
    (
        "has_standard_deviation_fail",
        {"type": "has_standard_deviation", "column": "score", "assertion": "< 0.3"},
        "Warning",
    ),
    (
        "has_approx_quantile_pass",
        {"type": "has_approx_quantile", "column": "n", "quantile": 0.5, "assertion": "between 1 and 2"},
        "Success",
    ),
    (
        "has_approx_quantile_fail",
        {"type": "has_approx_quantile", "column": "n", "quantile": 0.5, "assertion": "> 2"},
        "Warning",
    ),
    (
        "has_approx_count_distinct_pass",
        {"type": "has_approx_count_distinct", "column": "lang", "assertion": "== 3"},
        "Success",
    ),
    (
        "has_approx_count_distinct_fail",
        {"type": "has_approx_count_distinct", "column": "lang", "assertion": "> 3"},
        "Warning",
    ),
    (
        "has_entropy_pass",
        {"type": "has_entropy", "column": "src", "assertion": "between 0.562 and 0.563"},
        "Success",
    ),
    ("has_entropy_fail", {"type": "has_entropy", "column": "src", "assertion": "> 1"}, "Warning"),
    (
        "has_correlation_pass",
        {"type": "has_correlation", "columns": ["n", "score"], "assertion": "between 0.714 and 0.715"},
        "Success",
    ),
    (
        "has_correlation_fail",
        {"type": "has_correlation", "columns": ["n", "score"], "assertion": "< 0"},
        "Warning",
    ),
    ("has_column_count_pass", {"type": "has_column_count", "assertion": "== 7"}, "Success"),
    ("has_column_count_fail", {"type": "has_column_count", "assertion": "> 7"}, "Warning"),
    (
        "custom_sql_pass",
        {"type": "custom_sql", "sql": "SELECT count(*) FROM primary WHERE n > 0", "assertion": "== 3"},
        "Success",
    ),
    (
        "custom_sql_fail",
        {"type": "custom_sql", "sql": "SELECT count(*) FROM primary WHERE n > 0", "assertion": "== 4"},
        "Warning",
    ),
    (
        "where_filter_pass",
        {
            "type": "has_completeness",
            "column": "uri",
            "where": "src = 'web'",
            "assertion": "between 0.66 and 0.67",
        },
        "Success",
    ),
]


@pytest.fixture(scope="module")
def kinds_outcome(spark: SparkSession) -> SuiteOutcome:
    suite = SuiteSpec(
        name="kinds",
        checks=[
            CheckSpec(name=name, level="warning", constraints=[ConstraintSpec.model_validate(fields)])
            for name, fields, _ in KIND_CASES
        ],
    )
    df = spark.createDataFrame(KIND_ROWS, KIND_SCHEMA)
    return run_suite(spark, df, suite)


def test_every_supported_type_is_exercised() -> None:
    from typing import get_args

    from dq_engine.constraints import ConstraintType

    assert {fields["type"] for _, fields, _ in KIND_CASES} == set(get_args(ConstraintType))


def test_each_type_gives_its_known_verdict(kinds_outcome: SuiteOutcome) -> None:
    statuses = {r["check"]: r["check_status"] for r in kinds_outcome.check_results.collect()}
    expected = {name: status for name, _, status in KIND_CASES}
    assert statuses == expected


def test_warning_level_failures_never_block(kinds_outcome: SuiteOutcome) -> None:
    n_failing = sum(1 for _, _, status in KIND_CASES if status == "Warning")
    assert kinds_outcome.passed
    assert kinds_outcome.status == "Warning"
    assert len(kinds_outcome.failures) == n_failing
    assert {f.level for f in kinds_outcome.failures} == {"warning"}
    missing = next(f for f in kinds_outcome.failures if f.check == "missing_column_fail")
    assert "no_such_column" in missing.message


def test_metrics_frame_holds_the_measured_values(kinds_outcome: SuiteOutcome) -> None:
    metrics = {(r["instance"], r["name"]): r["value"] for r in kinds_outcome.metrics.collect()}
    assert metrics[("*", "Size")] == 4.0
    assert metrics[("n", "Minimum")] == -1.0
    assert metrics[("n", "Maximum")] == 3.0
    assert metrics[("n", "Mean")] == pytest.approx(1.25)
    assert metrics[("text", "MaxLength")] == 9.0
    assert metrics[("uri", "Completeness")] == 0.75
    assert metrics[("lang", "Distinctness")] == 0.75
    assert metrics[("n", "Sum")] == 5.0
    assert metrics[("score", "StandardDeviation")] == pytest.approx(0.369755, abs=1e-6)
    assert metrics[("src", "Entropy")] == pytest.approx(0.562335, abs=1e-6)
    assert metrics[("n,score", "Correlation")] == pytest.approx(0.714286, abs=1e-6)
    assert {r["suite"] for r in kinds_outcome.metrics.collect()} == {"kinds"}
