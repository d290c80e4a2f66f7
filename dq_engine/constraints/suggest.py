"""Starter suites from Deequ's constraint suggestion.

Deequ profiles a table and proposes constraints (complete, unique, non-negative, contained in a small
set of values ...) as Scala code. :func:`suggest_suite` translates the ones with a YAML equivalent into
a :class:`SuiteSpec`, verifies it on the same table, and leaves out any suggestion that does not hold
there (Deequ's uniqueness suggestion rests on an approximate distinct count, so it can be wrong), so
the written suite loads back and passes on the table it came from.

Text columns are not profiled: a categorical suggestion on ``text`` would copy document text into the
suite file. Map/array/struct columns are left out too (Deequ profiles atomic columns).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

import dq_engine.spark.session  # noqa: F401  - sets SPARK_VERSION, which pydeequ reads at import
from dq_engine.constraints.runner import run_suite
from dq_engine.constraints.suite import CheckSpec, ConstraintSpec, SuiteSpec

# isort: split
from pydeequ.suggestions import DEFAULT, ConstraintSuggestionRunner

DEFAULT_EXCLUDED = ("text",)
_ATOMIC = (T.StringType, T.NumericType, T.BooleanType, T.DateType, T.TimestampType)
_CALL_RE = re.compile(r'^\.(\w+)\("((?:[^"\\]|\\.)*)"(.*)\)$', re.DOTALL)
_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_LIST_RE = re.compile(r'(?:Array\(|\[)((?:\s*"(?:[^"\\]|\\.)*"\s*,?)*)[\])]')
_ASSERT_RE = re.compile(r"_\s*(>=|<=|==|>|<)\s*([-+0-9.eE]+)")


@dataclass
class Suggestion:
    """A suggested suite plus what was left out of it and why."""

    suite: SuiteSpec
    left_out: list[str] = field(default_factory=list)

    def to_yaml(self, source: str) -> str:
        """The suite as YAML with a header saying where it came from and what was left out."""
        header = [
            f"# Starter suite suggested by Deequ from {source}.",
            "# Review the thresholds before gating a publish on it: they describe this table as it is.",
        ]
        header += [f"# left out: {note}" for note in self.left_out]
        body = self.suite.model_dump(mode="json", exclude_defaults=True)
        return "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False, width=110)


def _translate(code: str) -> ConstraintSpec | None:
    """One Scala suggestion (``.isComplete("x")``, ``.hasCompleteness("x", _ >= 0.9, ...)``) as a spec."""
    match = _CALL_RE.match(code.strip())
    if not match:
        return None
    method, column, rest = match.group(1), match.group(2), match.group(3)
    assertion = _ASSERT_RE.search(rest)
    asserted = f"{assertion.group(1)} {assertion.group(2)}" if assertion else None
    if method == "isComplete":
        return ConstraintSpec(type="is_complete", column=column)
    if method == "hasCompleteness" and asserted:
        return ConstraintSpec(type="has_completeness", column=column, assertion=asserted)
    if method == "isUnique":
        return ConstraintSpec(type="is_unique", column=column)
    if method == "isNonNegative":
        return ConstraintSpec(type="is_non_negative", column=column)
    if method == "isContainedIn":
        # pydeequ rewrites Scala's ``Array("a", "b")`` as ``["a", "b"]``; accept both.
        listed = _LIST_RE.search(rest)
        if listed:
            values = [v.replace('\\"', '"') for v in _STRING_RE.findall(listed.group(1))]
            return ConstraintSpec(type="is_contained_in", column=column, values=values, assertion=asserted)
    return None


def profiled_columns(df: DataFrame, exclude: tuple[str, ...] = DEFAULT_EXCLUDED) -> list[str]:
    """The atomic columns Deequ may profile: everything but ``exclude`` and nested types."""
    return [f.name for f in df.schema.fields if f.name not in exclude and isinstance(f.dataType, _ATOMIC)]


def suggest_suite(
    spark: SparkSession,
    df: DataFrame,
    name: str,
    exclude: tuple[str, ...] = DEFAULT_EXCLUDED,
    level: str = "warning",
) -> Suggestion:
    """Run Deequ's default suggestion rules on ``df`` and return a suite that holds on it.

    Args:
        spark: the session.
        df: the table to profile (a few passes: Deequ's profiler, then one verification).
        name: the suite name.
        exclude: columns not to profile (document text by default).
        level: the level of the generated check.

    Returns:
        A :class:`Suggestion`; ``left_out`` lists suggestions with no YAML form and those that failed
        on ``df``.
    """
    columns = profiled_columns(df, exclude)
    left_out: list[str] = []
    if not columns:
        raise ValueError("no column to profile (only text or nested columns)")
    result: dict[str, Any] = (
        ConstraintSuggestionRunner(spark).onData(df.select(*columns)).addConstraintRule(DEFAULT()).run()
    )
    specs: list[ConstraintSpec] = []
    for item in result.get("constraint_suggestions", []):
        code = str(item.get("code_for_constraint", ""))
        spec = _translate(code)
        if spec is None:
            left_out.append(f"{item.get('column_name')}: {item.get('description')} (no YAML form)")
        elif spec not in specs:
            specs.append(spec)
    if not specs:
        specs = [ConstraintSpec(type="has_size", assertion="> 0")]
    suite = SuiteSpec(
        name=name,
        description="Suggested by Deequ's constraint suggestion (dq-engine suggest).",
        checks=[CheckSpec(name="suggested", level=level, constraints=specs)],  # type: ignore[arg-type]
    )
    outcome = run_suite(spark, df, suite)
    if outcome.failures:
        failed = {f.spec for f in outcome.failures}
        kept = [s for s in specs if s.describe() not in failed]
        left_out += [f"{f.spec}: does not hold here (measured {f.measured})" for f in outcome.failures]
        kept = kept or [ConstraintSpec(type="has_size", assertion="> 0")]
        suite = suite.model_copy(
            update={"checks": [suite.checks[0].model_copy(update={"constraints": kept})]}
        )
    return Suggestion(suite=SuiteSpec.model_validate(json.loads(suite.model_dump_json())), left_out=left_out)
