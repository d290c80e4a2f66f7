"""Glue DQDL rulesets: parsed with lark, translated to Deequ, run on a local table."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from dq_engine.constraints import run_suite
from dq_engine.constraints.dqdl import DqdlSyntaxError, UnsupportedRuleError, dqdl_to_suite, parse_dqdl
from dq_engine.constraints.loader import load_suite_file

# Rules as written in AWS's DQDL reference (rule-type pages and the syntax page), one per line.
AWS_DOC_EXAMPLES = [
    'Rules = [ IsComplete "order-id", IsUnique "order-id" ]',
    'Rules = [ ColumnLength "Postal_Code" = 5 ]',
    'Rules = [ ColumnLength "weightinkgs" = 2 where "weightinkgs > 10" ]',
    'Rules = [ ColumnLength "Postal_Code" < 6 ]',
    "Rules = [ RowCount between 10 and 100 ]",
    'Rules = [ Completeness "colA" between 0.4 and 0.8 ]',
    'Rules = [ Uniqueness "email" = 1.0 ]',
    'Rules = [ Mean "Star_Rating" > 3 ]',
    'Rules = [ StandardDeviation "Star_Rating" < 1.5 ]',
    'Rules = [ Sum "transaction_total" > 500000 ]',
    'Rules = [ Entropy "Star_Rating" > 1 ]',
    'Rules = [ ColumnCorrelation "height" "weight" > 0.8 ]',
    "Rules = [ ColumnCount >= 3 ]",
    'Rules = [ IsPrimaryKey "id" ]',
    'Rules = [ IsPrimaryKey "firstname" "lastname" ]',
    'Rules = [ CustomSql "select count(*) from primary" between 10 and 20 ]',
    'Rules = [ ColumnValues "Country" in [ "US", "CA", "UK" ] ]',
    'Rules = [ ColumnValues "First_Name" matches "[a-ZA-Z]*" ]',
    'Rules = [ ColumnValues "Customer_ID" between 1 and 2000 ]',
    'Rules = [ ColumnValues "colA" in [ "A", "B"] with threshold > 0.8 ]',
    'Rules = [ ColumnValues "colA" != NULL ]',
    'Rules = [ ColumnValues "colA" not in [ "a", NULL ] ]',
    'Rules = [ ColumnValues "colA" = EMPTY ]',
]


@pytest.mark.parametrize("text", AWS_DOC_EXAMPLES)
def test_aws_documentation_examples_translate(text: str) -> None:
    suite = dqdl_to_suite(text, "example")
    constraints = suite.checks[0].constraints
    assert constraints
    assert all(c.hint and c.hint.startswith("DQDL: ") for c in constraints)


def test_translation_is_faithful() -> None:
    suite = dqdl_to_suite(
        """Rules = [
            RowCount > 0,
            IsPrimaryKey "a" "b",
            ColumnLength "text" between 20 and 200000,
            ColumnValues "source" in ["web", NULL] with threshold >= 0.9,
            ColumnValues "code" not matches "x+" where "n > 1"
        ]""",
        "r",
    )
    got = [(c.type, c.key_columns, c.expression, c.assertion, c.where) for c in suite.checks[0].constraints]
    assert got == [
        ("has_size", [], None, "> 0", None),
        ("is_complete", ["a"], None, None, None),
        ("is_complete", ["b"], None, None, None),
        ("is_unique", ["a", "b"], None, None, None),
        ("satisfies", [], "length(coalesce(`text`, '')) BETWEEN 20 AND 200000", "== 1", None),
        ("satisfies", [], "(`source` IN ('web')) OR (`source` IS NULL)", ">= 0.9", None),
        ("satisfies", [], "NOT (`code` RLIKE '^(?:x+)$')", "== 1", "n > 1"),
    ]
    assert suite.checks[0].level == "error"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ('Rules = [ DataFreshness "Order_Date" <= 24 hours ]', "DataFreshness"),
        ('Rules = [ ReferentialIntegrity "id" "ref.id" = 1.0 ]', "ReferentialIntegrity"),
        ('Rules = [ DistinctValuesCount "state" > 3 ]', "DistinctValuesCount"),
        ('Rules = [ (IsComplete "id") and (IsUnique "id") ]', "composite rules"),
        ('Rules = [ Mean "x" in [1, 2] ]', "Mean supports only comparisons"),
    ],
)
def test_unsupported_rules_are_refused_by_name(text: str, rule: str) -> None:
    with pytest.raises(UnsupportedRuleError, match=rule) as info:
        dqdl_to_suite(text, "x", source="rules.dqdl")
    assert str(info.value).startswith("rules.dqdl:1: ")


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('Rules = [\n  RowCount > 0,\n  IsComplete "x" >> 3\n]', 3, 19),
        ("Rules = [ RowCount > ]", 1, 22),
        ('Rules = [ IsComplete "a"', 1, 22),
        ('Rules = [ IsComplete "a" ] trailing', 1, 28),
        ("Rulez = [ RowCount > 0 ]", 1, 1),
    ],
)
def test_syntax_errors_report_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(DqdlSyntaxError) as info:
        parse_dqdl(text, "rules.dqdl")
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith(f"rules.dqdl:{line}:{column}: DQDL syntax error")


def test_a_dqdl_ruleset_runs_against_a_local_table(spark: SparkSession, tmp_path: Path) -> None:
    ruleset = tmp_path / "docs.dqdl"
    ruleset.write_text(
        """# the issue's example, plus a failing rule
Rules = [
    RowCount > 0,
    IsComplete "doc_id",
    Uniqueness "doc_id" > 0.99,
    ColumnLength "text" between 20 and 200000,
    ColumnValues "source" in ["web", "forum"],
    CustomSql "select count(*) from primary where source = 'web'" = 2,
    ColumnLength "text" > 30
]
""",
        encoding="utf-8",
    )
    yaml_name = tmp_path / "docs.yaml"  # the audit's suite name resolves to the .dqdl file beside it
    suite = load_suite_file(yaml_name)
    assert suite.name == "docs" and suite.checks[0].name == "docs_dqdl"
    df = spark.createDataFrame(
        [
            ("a", "a document of some length", "web"),
            ("b", "another document, a bit longer.", "forum"),
            ("c", "third document text here!!", "web"),
        ],
        "doc_id string, text string, source string",
    )
    outcome = run_suite(spark, df, suite)
    assert not outcome.passed
    assert [f.constraint for f in outcome.failures] == [
        f.constraint for f in outcome.failures if "ColumnLength(text)" in f.spec
    ]
    (failure,) = outcome.failures
    assert failure.measured == pytest.approx(1 / 3)
    assert 'DQDL: ColumnLength "text" > 30' in failure.message
    assert failure.failing_ids == ("a", "c")
