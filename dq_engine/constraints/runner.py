"""Run a :class:`~dq_engine.constraints.suite.SuiteSpec` as one Deequ ``VerificationSuite``.

Deequ computes every metric the suite's constraints need in as few passes over the data as it can (one
scan for size, completeness, min/max/mean, lengths, compliance and patterns; one grouping pass per
uniqueness/distinctness column set), then evaluates each assertion against its metric. Only Deequ's tiny
result tables reach the driver; the data under test is never collected. Cache ``df`` first if it is
expensive to recompute and used again afterwards.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.java_gateway import ensure_callback_server_started
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

import dq_engine.spark.session  # noqa: F401  - sets SPARK_VERSION, which pydeequ reads at import
from dq_engine.constraints.suite import CheckSpec, ConstraintSpec, SuiteSpec

# isort: split
from pydeequ.checks import Check, CheckLevel
from pydeequ.verification import VerificationResult, VerificationSuite

log = logging.getLogger(__name__)

CHECK_RESULT_COLUMNS = (
    "suite",
    "check",
    "check_level",
    "check_status",
    "constraint",
    "constraint_status",
    "constraint_message",
)
METRIC_COLUMNS = ("suite", "entity", "instance", "name", "value")

_LEVELS = {"error": CheckLevel.Error, "warning": CheckLevel.Warning}


@dataclass(frozen=True)
class ConstraintFailure:
    """One constraint whose assertion did not hold (or whose metric could not be computed).

    Attributes:
        check: the check name (``CheckSpec.name``).
        level: the check's level as written in the suite: ``error`` or ``warning``.
        constraint: Deequ's description of the constraint, e.g.
            ``CompletenessConstraint(Completeness(text,None,None))``.
        message: Deequ's message; it carries the metric value (``Value: 0.5 does not meet ...``) and the
            constraint's hint, never row values.
    """

    check: str
    level: str
    constraint: str
    message: str


@dataclass(frozen=True)
class SuiteOutcome:
    """What one suite run found.

    Attributes:
        suite: the suite name.
        passed: ``True`` iff no error-level constraint failed; warning-level failures never block.
        status: Deequ's overall status: ``Success``, ``Warning`` or ``Error``.
        check_results: one row per constraint with columns ``suite, check, check_level, check_status,
            constraint, constraint_status, constraint_message`` (Deequ's casing: ``Error``/``Warning``,
            ``Success``/``Failure``).
        metrics: Deequ's successfully computed metrics: ``suite, entity, instance, name, value``.
        failures: the failed constraints, error-level ones first.
    """

    suite: str
    passed: bool
    status: str
    check_results: DataFrame
    metrics: DataFrame
    failures: list[ConstraintFailure] = field(default_factory=list)


def _add_has_size(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasSize(spec.parsed_assertion(), hint=spec.hint)


def _add_is_complete(check: Check, spec: ConstraintSpec) -> Check:
    return check.isComplete(spec.column, hint=spec.hint)


def _add_has_completeness(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasCompleteness(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_is_unique(check: Check, spec: ConstraintSpec) -> Check:
    first, *rest = spec.key_columns
    if not rest:
        return check.isUnique(first, hint=spec.hint)
    # Deequ's primary-key constraint is uniqueness == 1 over the combined columns.
    return check.isPrimaryKey(first, *rest, hint=spec.hint)


def _add_has_uniqueness(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasUniqueness(spec.key_columns, spec.parsed_assertion(), hint=spec.hint)


def _add_has_distinctness(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasDistinctness(spec.key_columns, spec.parsed_assertion(), hint=spec.hint)


def _add_is_non_negative(check: Check, spec: ConstraintSpec) -> Check:
    # No Python assertion: pydeequ then passes Deequ's own JVM-side ``IsOne``.
    return check.isNonNegative(spec.column, hint=spec.hint)


def _add_has_min(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasMin(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_has_max(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasMax(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_has_mean(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasMean(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_has_min_length(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasMinLength(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_has_max_length(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasMaxLength(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_is_contained_in(check: Check, spec: ConstraintSpec) -> Check:
    return check.isContainedIn(spec.column, list(spec.values), spec.parsed_assertion("== 1"), hint=spec.hint)


def _add_has_pattern(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasPattern(
        spec.column, spec.pattern, spec.parsed_assertion("== 1"), name=spec.name, hint=spec.hint
    )


def _add_satisfies(check: Check, spec: ConstraintSpec) -> Check:
    # Without an assertion pydeequ passes Deequ's JVM-side ``IsOne``: the default ``== 1``, no callback.
    return check.satisfies(spec.expression, spec.name, spec.parsed_assertion(), hint=spec.hint)


_BUILDERS: dict[str, Callable[[Check, ConstraintSpec], Check]] = {
    "has_size": _add_has_size,
    "is_complete": _add_is_complete,
    "has_completeness": _add_has_completeness,
    "is_unique": _add_is_unique,
    "has_uniqueness": _add_has_uniqueness,
    "has_distinctness": _add_has_distinctness,
    "is_non_negative": _add_is_non_negative,
    "has_min": _add_has_min,
    "has_max": _add_has_max,
    "has_mean": _add_has_mean,
    "has_min_length": _add_has_min_length,
    "has_max_length": _add_has_max_length,
    "is_contained_in": _add_is_contained_in,
    "has_pattern": _add_has_pattern,
    "satisfies": _add_satisfies,
}


def build_check(spark: SparkSession, check: CheckSpec) -> Check:
    """Translate one :class:`CheckSpec` into a pydeequ ``Check``.

    The check's ``name`` becomes the Deequ description (the ``check`` column of the results) and each
    constraint's assertion becomes a Python callable Deequ calls back through py4j.

    Args:
        spark: the active session (its JVM holds Deequ).
        check: the check to translate.

    Returns:
        A pydeequ ``Check`` ready for ``VerificationSuite.addCheck``.

    Example:
        >>> spec = CheckSpec(name="ids", level="error",
        ...                  constraints=[ConstraintSpec(type="is_unique", column="doc_id")])
        >>> build_check(spark, spec)  # doctest: +SKIP
    """
    _ensure_callback_server(spark)
    deequ_check = Check(spark, _LEVELS[check.level], check.name)
    for constraint in check.constraints:
        deequ_check = _BUILDERS[constraint.type](deequ_check, constraint)
    return deequ_check


def run_suite(spark: SparkSession, df: DataFrame, suite: SuiteSpec) -> SuiteOutcome:
    """Run every check of ``suite`` on ``df`` in one Deequ ``VerificationSuite``.

    Args:
        spark: the session ``df`` belongs to.
        df: the data under test; read by Deequ's analyzers, never collected.
        suite: the suite to run.

    Returns:
        A :class:`SuiteOutcome`; ``passed`` is ``False`` iff an error-level constraint failed.

    Example:
        >>> outcome = run_suite(spark, silver_df, load_suite(Path("conf/constraints/silver_documents.yaml")))
        ... # doctest: +SKIP
        >>> outcome.passed, [f.constraint for f in outcome.failures]  # doctest: +SKIP
        (True, [])
    """
    builder = VerificationSuite(spark).onData(df)
    for check in suite.checks:
        builder = builder.addCheck(build_check(spark, check))
    result = builder.run()

    with warnings.catch_warnings():
        # pydeequ wraps Deequ's frames through the deprecated SQLContext and the internal DataFrame
        # constructor; those warnings are about pydeequ, not about the caller.
        for category in (FutureWarning, DeprecationWarning, UserWarning):
            warnings.simplefilter("ignore", category)
        checks_jdf = VerificationResult.checkResultsAsDataFrame(spark, result)
        metrics_jdf = VerificationResult.successMetricsAsDataFrame(spark, result)

    suite_col = F.lit(suite.name).alias("suite")
    check_results = checks_jdf.select(suite_col, *CHECK_RESULT_COLUMNS[1:])
    metrics = metrics_jdf.select(suite_col, *METRIC_COLUMNS[1:])

    levels = {check.name: check.level for check in suite.checks}
    # Deequ's result table has one row per constraint: tiny, safe to bring to the driver.
    failed_rows = (
        check_results.where(F.col("constraint_status") != "Success")
        .select("check", "constraint", "constraint_message")
        .collect()
    )
    failures = sorted(
        (
            ConstraintFailure(
                check=row["check"],
                level=levels[row["check"]],
                constraint=row["constraint"],
                message=row["constraint_message"] or "",
            )
            for row in failed_rows
        ),
        key=lambda f: (f.level != "error", f.check),
    )
    passed = not any(f.level == "error" for f in failures)
    status = result.status

    # Log names and verdicts only: messages are returned to the caller, not written to logs.
    log.info("suite %s: status=%s passed=%s failed_constraints=%d", suite.name, status, passed, len(failures))
    for failure in failures:
        log.warning(
            "suite %s: %s check %s failed: %s", suite.name, failure.level, failure.check, failure.constraint
        )
    return SuiteOutcome(
        suite=suite.name,
        passed=passed,
        status=status,
        check_results=check_results,
        metrics=metrics,
        failures=failures,
    )


def _ensure_callback_server(spark: SparkSession) -> None:
    """Make sure py4j's callback server (which Deequ calls to evaluate Python assertions) is up.

    Started the PySpark way (daemon threads, ephemeral port) so pydeequ reuses it rather than starting
    a non-daemon server on the fixed port 25334 that would keep the process alive and collide with a
    second driver on the same host. :func:`dq_engine.spark.session.build_session` already does this.
    """
    ensure_callback_server_started(spark.sparkContext._gateway)
