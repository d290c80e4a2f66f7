"""Suite models, YAML loading and assertion parsing: no Spark needed."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dq_engine.constraints import (
    Assertion,
    CheckSpec,
    ConstraintSpec,
    SuiteConfigError,
    SuiteSpec,
    load_suite,
    parse_assertion,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SUITE = REPO_ROOT / "conf" / "constraints" / "silver_documents.yaml"


# ------------------------------------------------------------------------------------------ assertions


@pytest.mark.parametrize(
    ("text", "canonical", "true_for", "false_for"),
    [
        (">= 0.95", ">= 0.95", [0.95, 1.0], [0.9499]),
        ("== 1", "== 1", [1, 1.0, 1.0 + 1e-12], [0.999]),
        ("> 0", "> 0", [1, 0.001], [0, -1]),
        ("<1e3", "< 1000", [999], [1000]),
        ("<= -2.5", "<= -2.5", [-2.5, -3], [-2.4]),
        ("!= 0", "!= 0", [1], [0.0]),
        ("  >=   .5 ", ">= 0.5", [0.5], [0.49]),
        ("between 10 and 100000", "between 10 and 100000", [10, 5000.5, 100000], [9.99, 100000.1]),
        ("BETWEEN -1 AND 1", "between -1 and 1", [-1, 0, 1], [1.5]),
        ("between 3 and 3", "between 3 and 3", [3], [2.9]),
    ],
)
def test_parse_assertion_accepts(
    text: str, canonical: str, true_for: list[float], false_for: list[float]
) -> None:
    assertion = parse_assertion(text)
    assert str(assertion) == canonical
    assert all(assertion(x) for x in true_for)
    assert not any(assertion(x) for x in false_for)
    assert parse_assertion(str(assertion)) == assertion


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0.95",
        ">=",
        "= 1",
        "=> 1",
        "> 1 and < 2",
        ">= 0.5 or True",
        "__import__('os').system('true')",
        "lambda x: x > 0",
        "x >= 1",
        "> nan",
        "> inf",
        "> 1,5",
        "between 1",
        "between 1 and",
        "between 5 and 1",
        "between a and b",
    ],
)
def test_parse_assertion_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="assertion"):
        parse_assertion(text)


def test_assertion_is_picklable_and_readable() -> None:
    assertion = parse_assertion("between 0.5 and 2")
    clone = pickle.loads(pickle.dumps(assertion))
    assert clone == assertion == Assertion(op="between", value=0.5, upper=2.0)
    assert clone(1.0) and not clone(3.0)
    assert repr(assertion) == "Assertion(op='between', value=0.5, upper=2.0)"


# --------------------------------------------------------------------------------------- constraint spec


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "has_size", "assertion": "> 0"},
        {"type": "is_complete", "column": "doc_id"},
        {"type": "has_completeness", "column": "source_uri", "assertion": ">= 0.99"},
        {"type": "is_unique", "column": "doc_id"},
        {"type": "is_unique", "columns": ["source", "doc_id"]},
        {"type": "has_uniqueness", "columns": ["doc_id"], "assertion": "== 1"},
        {"type": "has_distinctness", "column": "lang", "assertion": "> 0.1"},
        {"type": "is_non_negative", "column": "n"},
        {"type": "has_min", "column": "n", "assertion": ">= 0"},
        {"type": "has_max", "column": "n", "assertion": "<= 10"},
        {"type": "has_mean", "column": "n", "assertion": "between 1 and 2"},
        {"type": "has_min_length", "column": "text", "assertion": ">= 1"},
        {"type": "has_max_length", "column": "text", "assertion": "<= 100"},
        {"type": "is_contained_in", "column": "lang", "values": ["en", "de"]},
        {"type": "is_contained_in", "column": "lang", "values": ["en"], "assertion": ">= 0.9"},
        {"type": "has_pattern", "column": "uri", "pattern": "^s3://"},
        {"type": "has_pattern", "column": "uri", "pattern": "^s3://", "assertion": "> 0.5", "name": "s3"},
        {"type": "satisfies", "expression": "n > 0", "name": "positive_n"},
        {
            "type": "satisfies",
            "expression": "n > 0",
            "name": "positive_n",
            "assertion": ">= 0.9",
            "hint": "h",
        },
    ],
)
def test_constraint_spec_accepts_the_fields_each_type_needs(fields: dict[str, Any]) -> None:
    spec = ConstraintSpec.model_validate(fields)
    assert spec.type == fields["type"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "has_size"}, "has_size needs assertion; missing assertion"),
        ({"type": "is_complete"}, "is_complete needs column; missing column"),
        (
            {"type": "has_completeness", "column": "a"},
            "has_completeness needs column, assertion; missing assertion",
        ),
        ({"type": "is_unique"}, "is_unique needs column or columns"),
        (
            {"type": "is_unique", "column": "a", "columns": ["b"]},
            "is_unique takes column or columns, not both",
        ),
        ({"type": "has_uniqueness", "assertion": "== 1"}, "has_uniqueness needs column or columns"),
        ({"type": "has_min", "column": "n"}, "has_min needs column, assertion; missing assertion"),
        (
            {"type": "is_contained_in", "column": "lang"},
            "is_contained_in needs column, values; missing values",
        ),
        ({"type": "is_contained_in", "column": "lang", "values": []}, "missing values"),
        ({"type": "has_pattern", "column": "uri"}, "has_pattern needs column, pattern; missing pattern"),
        ({"type": "satisfies", "expression": "n > 0"}, "satisfies needs expression, name; missing name"),
        (
            {"type": "is_complete", "column": "a", "assertion": ">= 0.9"},
            "is_complete does not take assertion",
        ),
        ({"type": "has_size", "assertion": "> 0", "column": "a"}, "has_size does not take column"),
        ({"type": "is_non_negative", "column": "n", "name": "x"}, "is_non_negative does not take name"),
        ({"type": "has_min", "column": "n", "assertion": ">= nope"}, "assertion '>= nope' is not"),
        ({"type": "is_completee", "column": "a"}, "Input should be 'has_size'"),
        ({"type": "is_complete", "colum": "a"}, "Extra inputs are not permitted"),
    ],
)
def test_constraint_spec_says_what_each_type_needs(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        ConstraintSpec.model_validate(fields)
    assert message in str(info.value)


def test_constraint_spec_normalises_assertion_and_values() -> None:
    spec = ConstraintSpec.model_validate(
        {"type": "is_contained_in", "column": "year", "values": [2023, 2024], "assertion": ">=0.50"}
    )
    assert spec.values == ["2023", "2024"]
    assert spec.assertion == ">= 0.5"
    assert spec.key_columns == ["year"]
    assert spec.parsed_assertion() == Assertion(op=">=", value=0.5)
    bare = ConstraintSpec(type="satisfies", expression="n > 0", name="positive")
    assert bare.parsed_assertion() is None
    assert bare.parsed_assertion("== 1") == Assertion(op="==", value=1.0)


def test_check_and_suite_need_content() -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        CheckSpec(name="empty", level="error", constraints=[])
    with pytest.raises(ValidationError, match="Input should be 'error' or 'warning'"):
        CheckSpec.model_validate(
            {"name": "c", "level": "fatal", "constraints": [{"type": "has_size", "assertion": "> 0"}]}
        )
    check = CheckSpec(name="c", level="error", constraints=[ConstraintSpec(type="has_size", assertion="> 0")])
    with pytest.raises(ValidationError, match="check name 'c' is used twice"):
        SuiteSpec(name="s", checks=[check, check])


# ------------------------------------------------------------------------------------------ load_suite


def test_default_silver_suite_loads() -> None:
    suite = load_suite(DEFAULT_SUITE)
    assert suite.name == "silver_documents"
    levels = {check.level for check in suite.checks}
    assert levels == {"error", "warning"}
    error_kinds = {
        (c.type, c.column) for check in suite.checks if check.level == "error" for c in check.constraints
    }
    assert error_kinds == {
        ("has_size", None),
        ("is_complete", "doc_id"),
        ("is_unique", "doc_id"),
        ("is_complete", "text"),
        ("has_min_length", "text"),
        ("is_complete", "source"),
        ("satisfies", None),  # no_pii_residual
    }


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad_suite.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_suite_names_file_and_key_path(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name: s
checks:
  - name: c
    level: error
    constraints:
      - type: is_complete
        column: doc_id
      - type: is_complete
        colum: text
""",
    )
    with pytest.raises(SuiteConfigError) as info:
        load_suite(path)
    assert str(info.value) == f"{path}: checks.0.constraints.1.colum: extra inputs are not permitted"
    assert isinstance(info.value, ValueError)


def test_load_suite_reports_every_bad_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name: s
owner: me
checks:
  - name: c
    level: fatal
    constraints:
      - type: has_min
        column: n
        assertion: ">= one"
""",
    )
    with pytest.raises(SuiteConfigError) as info:
        load_suite(path)
    lines = str(info.value).splitlines()
    assert f"{path}: owner: extra inputs are not permitted" in lines
    assert any(
        line.startswith(f"{path}: checks.0.level: input should be 'error' or 'warning'") for line in lines
    )
    assert any(
        line.startswith(f"{path}: checks.0.constraints.0.assertion: assertion '>= one'") for line in lines
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: s\nchecks: [\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        ("", "expected a mapping"),
        ("name: s\nchecks: []\n", "<root>: a suite needs at least one check or anomaly check"),
        (
            "name: s\nchecks:\n  - name: c\n    level: error\n    constraints:\n"
            "      - type: has_size\n        assertion: >= 1\n",
            "not valid YAML",
        ),
    ],
)
def test_load_suite_rejects_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SuiteConfigError, match=message) as info:
        load_suite(path)
    assert str(info.value).startswith(f"{path}: ")


def test_load_suite_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SuiteConfigError, match=re.escape(f"{missing}: cannot read suite file")):
        load_suite(missing)
