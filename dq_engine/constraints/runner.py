"""Run a :class:`~dq_engine.constraints.suite.SuiteSpec` as one Deequ ``VerificationSuite``.

Deequ computes every metric the suite's constraints, extra ``metrics`` and anomaly checks need in as
few passes over the data as it can (one scan for size, completeness, min/max/mean/sum/stddev, lengths,
compliance, patterns and quantiles; one grouping pass per uniqueness/distinctness/entropy/histogram
column set), then evaluates each assertion against its metric. Only Deequ's tiny result tables reach the
driver; the data under test is never collected. The one exception is on failure: a failed ``satisfies``
or ``has_pattern`` constraint reads the ids (never the text) of up to ``failing_ids_limit`` rows that
broke it, so a reader can find them.

A constraint on a column the frame lacks is *skipped* (status ``Skipped``, with a note naming the
stage that adds the column) when the column is one a pipeline stage may or may not add
(:data:`~dq_engine.constraints.corpus.STAGE_OF_COLUMN`) or is listed in the constraint's ``requires``.
Any other missing column is a failure: a typo must not pass silently.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark.errors import AnalysisException
from pyspark.java_gateway import ensure_callback_server_started
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

import dq_engine.spark.session  # noqa: F401  - sets SPARK_VERSION, which pydeequ reads at import
from dq_engine.constraints.corpus import STAGE_OF_COLUMN
from dq_engine.constraints.history import MetricsHistory, load_history
from dq_engine.constraints.suite import AnomalySpec, CheckSpec, ConstraintSpec, MetricSpec, SuiteSpec

# isort: split
from pydeequ import analyzers as A
from pydeequ.anomaly_detection import (
    AbsoluteChangeStrategy,
    BatchNormalStrategy,
    OnlineNormalStrategy,
    RelativeRateOfChangeStrategy,
)
from pydeequ.checks import Check, CheckLevel
from pydeequ.scala_utils import ScalaFunction1
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
    "spec",
    "asserted",
    "measured",
    "failing_ids",
)
METRIC_COLUMNS = ("suite", "entity", "instance", "name", "value")

_RESULT_SCHEMA = T.StructType(
    [
        T.StructField("suite", T.StringType()),
        T.StructField("check", T.StringType()),
        T.StructField("check_level", T.StringType()),
        T.StructField("check_status", T.StringType()),
        T.StructField("constraint", T.StringType()),
        T.StructField("constraint_status", T.StringType()),
        T.StructField("constraint_message", T.StringType()),
        T.StructField("spec", T.StringType()),
        T.StructField("asserted", T.StringType()),
        T.StructField("measured", T.DoubleType()),
        T.StructField("failing_ids", T.ArrayType(T.StringType())),
    ]
)

_LEVELS = {"error": CheckLevel.Error, "warning": CheckLevel.Warning}
_DEEQU_LEVEL = {"error": "Error", "warning": "Warning"}
_VALUE_RE = re.compile(r"Value: ([-+0-9.eE]+|NaN|-?Infinity) does not meet")
SKIPPED = "Skipped"
_STATUS_ORDER = ("Success", "Warning", "Error")
PRIMARY_VIEW = "primary"
_UNRESOLVED_RE = re.compile(r"name `([^`]+)` cannot be resolved")
# Analyzers Deequ's file repository cannot serialize; their constraints run outside the history.
_OUTSIDE_REPOSITORY = frozenset({"has_column_count", "custom_sql"})


@dataclass(frozen=True)
class ConstraintFailure:
    """One constraint whose assertion did not hold (or whose metric could not be computed).

    Attributes:
        check: the check name (``CheckSpec.name`` or ``AnomalySpec.name``).
        level: ``error`` or ``warning``.
        constraint: Deequ's description of the constraint, e.g.
            ``CompletenessConstraint(Completeness(text,None,None))``.
        message: Deequ's message; it carries the metric value (``Value: 0.5 does not meet ...``) and the
            constraint's hint, never row values.
        spec: the suite's own readable form, e.g. ``has_completeness(source_uri) >= 0.99``.
        asserted: the assertion as written (``>= 0.99``), or the anomaly strategy.
        measured: the metric value Deequ measured, when it reports one.
        failing_ids: ids of rows that broke a ``satisfies``/``has_pattern`` constraint (at most the
            suite's ``failing_ids_limit``); never text.
    """

    check: str
    level: str
    constraint: str
    message: str
    spec: str = ""
    asserted: str = ""
    measured: float | None = None
    failing_ids: tuple[str, ...] = ()

    def explain(self) -> str:
        """One line: ``[error] check: spec -- measured 0.5, asserted >= 0.99 (hint)``."""
        measured = "n/a" if self.measured is None else f"{self.measured:g}"
        what = self.spec or self.constraint
        line = f"[{self.level}] {self.check}: {what} -- measured {measured}, asserted {self.asserted}"
        if self.failing_ids:
            line += f"; failing ids: {', '.join(self.failing_ids)}"
        if self.measured is None and self.message:
            # No value to show (e.g. a missing column): Deequ's message says why.
            line += f" ({self.message})"
        return line


@dataclass(frozen=True)
class SkippedConstraint:
    """A constraint that was not evaluated because a column it needs is absent."""

    check: str
    spec: str
    note: str


@dataclass(frozen=True)
class SuiteOutcome:
    """What one suite run found.

    Attributes:
        suite: the suite name.
        passed: ``True`` iff no error-level constraint failed; warning-level failures never block.
        status: Deequ's overall status: ``Success``, ``Warning`` or ``Error``.
        check_results: one row per constraint (skipped ones included) with :data:`CHECK_RESULT_COLUMNS`
            (Deequ's casing: ``Error``/``Warning``, ``Success``/``Failure``; ``Skipped`` for skipped).
        metrics: Deequ's successfully computed metrics: ``suite, entity, instance, name, value``.
        failures: the failed constraints, error-level ones first.
        skipped: the constraints (and metrics) that were skipped, with the reason.
    """

    suite: str
    passed: bool
    status: str
    check_results: DataFrame
    metrics: DataFrame
    failures: list[ConstraintFailure] = field(default_factory=list)
    skipped: list[SkippedConstraint] = field(default_factory=list)

    @property
    def warnings(self) -> list[ConstraintFailure]:
        return [f for f in self.failures if f.level == "warning"]


def _fn(check: Check, assertion: Callable[[float], bool] | None) -> Any:
    return ScalaFunction1(check._spark_session.sparkContext._gateway, assertion)


def _opt(check: Check, value: Any) -> Any:
    return check._jvm.scala.Option.apply(value)


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


def _add_has_sum(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasSum(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_has_standard_deviation(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasStandardDeviation(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_has_approx_quantile(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasApproxQuantile(spec.column, spec.quantile, spec.parsed_assertion(), hint=spec.hint)


def _add_has_approx_count_distinct(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasApproxCountDistinct(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_has_entropy(check: Check, spec: ConstraintSpec) -> Check:
    return check.hasEntropy(spec.column, spec.parsed_assertion(), hint=spec.hint)


def _add_has_correlation(check: Check, spec: ConstraintSpec) -> Check:
    first, second = spec.columns
    return check.hasCorrelation(first, second, spec.parsed_assertion(), hint=spec.hint)


def _add_has_column_count(check: Check, spec: ConstraintSpec) -> Check:
    # pydeequ does not wrap these two; the JVM methods are called directly with the same callback type.
    check._Check = check._Check.hasColumnCount(_fn(check, spec.parsed_assertion()), _opt(check, spec.hint))
    return check


def _add_custom_sql(check: Check, spec: ConstraintSpec) -> Check:
    jcheck = check._Check
    options = getattr(jcheck, "customSql$default$4")()
    check._Check = jcheck.customSql(
        spec.sql, _fn(check, spec.parsed_assertion()), _opt(check, spec.hint), options
    )
    return check


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
    "has_sum": _add_has_sum,
    "has_standard_deviation": _add_has_standard_deviation,
    "has_approx_quantile": _add_has_approx_quantile,
    "has_approx_count_distinct": _add_has_approx_count_distinct,
    "has_entropy": _add_has_entropy,
    "has_correlation": _add_has_correlation,
    "has_column_count": _add_has_column_count,
    "custom_sql": _add_custom_sql,
}


def _add_constraint(check: Check, spec: ConstraintSpec) -> Check:
    check = _BUILDERS[spec.type](check, spec)
    if spec.where:
        # Deequ filters the *last added* constraint's analyzer.
        check = check.where(spec.where)
    return check


def build_check(
    spark: SparkSession, check: CheckSpec, constraints: list[ConstraintSpec] | None = None
) -> Check:
    """Translate one :class:`CheckSpec` into a pydeequ ``Check``.

    The check's ``name`` becomes the Deequ description (the ``check`` column of the results) and each
    constraint's assertion becomes a Python callable Deequ calls back through py4j.

    Args:
        spark: the active session (its JVM holds Deequ).
        check: the check to translate.
        constraints: the (effective) constraints to add; default: all of ``check.constraints``.

    Returns:
        A pydeequ ``Check`` ready for ``VerificationSuite.addCheck``.

    Example:
        >>> spec = CheckSpec(name="ids", level="error",
        ...                  constraints=[ConstraintSpec(type="is_unique", column="doc_id")])
        >>> build_check(spark, spec)  # doctest: +SKIP
    """
    _ensure_callback_server(spark)
    deequ_check = Check(spark, _LEVELS[check.level], check.name)
    for constraint in (
        constraints if constraints is not None else [check.effective(c) for c in check.constraints]
    ):
        deequ_check = _add_constraint(deequ_check, constraint)
    return deequ_check


def build_analyzer(metric: MetricSpec) -> Any:
    """The pydeequ analyzer object for a :class:`MetricSpec`."""
    where = metric.where
    a = metric.analyzer
    if a == "size":
        return A.Size(where=where)
    if a == "compliance":
        return A.Compliance(metric.name, metric.predicate, where=where)
    if a == "approx_quantile":
        return A.ApproxQuantile(metric.column, metric.quantile, where=where)
    if a in ("distinctness", "uniqueness"):
        cls = A.Distinctness if a == "distinctness" else A.Uniqueness
        return cls([metric.column], where=where)
    classes = {
        "completeness": A.Completeness,
        "mean": A.Mean,
        "sum": A.Sum,
        "minimum": A.Minimum,
        "maximum": A.Maximum,
        "standard_deviation": A.StandardDeviation,
        "approx_count_distinct": A.ApproxCountDistinct,
        "entropy": A.Entropy,
        "histogram": A.Histogram,
    }
    return classes[a](metric.column, where=where)


def build_strategy(anomaly: AnomalySpec) -> Any:
    """The pydeequ anomaly detection strategy for an :class:`AnomalySpec`."""
    if anomaly.strategy == "relative_rate_of_change":
        return RelativeRateOfChangeStrategy(
            anomaly.max_rate_decrease, anomaly.max_rate_increase, anomaly.order
        )
    if anomaly.strategy == "absolute_change":
        return AbsoluteChangeStrategy(anomaly.max_rate_decrease, anomaly.max_rate_increase, anomaly.order)
    if anomaly.strategy == "online_normal":
        return OnlineNormalStrategy(
            anomaly.lower_deviation_factor, anomaly.upper_deviation_factor, anomaly.ignore_start_percentage
        )
    return BatchNormalStrategy(anomaly.lower_deviation_factor, anomaly.upper_deviation_factor)


def _describe_strategy(anomaly: AnomalySpec) -> str:
    if anomaly.strategy in ("relative_rate_of_change", "absolute_change"):
        return (
            f"{anomaly.strategy}(decrease={anomaly.max_rate_decrease}, increase={anomaly.max_rate_increase})"
        )
    return (
        f"{anomaly.strategy}(lower={anomaly.lower_deviation_factor}, upper={anomaly.upper_deviation_factor})"
    )


def _skip_note(missing: list[str], optional: set[str]) -> str | None:
    """The skip note when every missing column is optional; ``None`` when the constraint must fail."""
    if not missing or any(c not in optional and c not in STAGE_OF_COLUMN for c in missing):
        return None
    parts = []
    for column in missing:
        stage = STAGE_OF_COLUMN.get(column)
        parts.append(f"{column} (added by {stage})" if stage else column)
    return f"skipped: column {', '.join(parts)} is not in the audited data; the stage did not run"


@dataclass
class _Planned:
    check: str
    level: str
    spec: str
    asserted: str
    constraint: ConstraintSpec | None = None


def run_suite(
    spark: SparkSession,
    df: DataFrame,
    suite: SuiteSpec,
    history: MetricsHistory | None = None,
) -> SuiteOutcome:
    """Run every check, metric and anomaly check of ``suite`` on ``df`` in one Deequ ``VerificationSuite``.

    Args:
        spark: the session ``df`` belongs to.
        df: the data under test; read by Deequ's analyzers, never collected.
        suite: the suite to run.
        history: the metric history (a Deequ metrics repository) to compare anomaly checks against and,
            when ``history.save`` is set, to append this run's metrics to. Without it anomaly checks are
            skipped with a note.

    Returns:
        A :class:`SuiteOutcome`; ``passed`` is ``False`` iff an error-level constraint failed.

    Example:
        >>> outcome = run_suite(spark, silver_df, load_suite(Path("conf/constraints/silver_documents.yaml")))
        ... # doctest: +SKIP
        >>> outcome.passed, [f.constraint for f in outcome.failures]  # doctest: +SKIP
        (True, [])
    """
    _ensure_callback_server(spark)
    present = set(df.columns)
    main: list[tuple[CheckSpec, list[ConstraintSpec]]] = []
    aux: list[tuple[CheckSpec, list[ConstraintSpec]]] = []
    planned: dict[str, list[_Planned]] = {}
    aux_planned: dict[str, list[_Planned]] = {}
    skipped_rows: list[dict[str, Any]] = []
    skipped: list[SkippedConstraint] = []
    invalid: list[tuple[CheckSpec, ConstraintSpec, str, str]] = []
    failures_invalid: list[ConstraintFailure] = []

    def skip(check: str, level: str, spec: str, asserted: str, note: str) -> None:
        skipped.append(SkippedConstraint(check=check, spec=spec, note=note))
        skipped_rows.append(
            {
                "suite": suite.name,
                "check": check,
                "check_level": _DEEQU_LEVEL[level],
                "check_status": SKIPPED,
                "constraint": spec,
                "constraint_status": SKIPPED,
                "constraint_message": note,
                "spec": spec,
                "asserted": asserted,
                "measured": None,
                "failing_ids": [],
            }
        )

    for check in suite.checks:
        runnable: list[ConstraintSpec] = []
        side: list[ConstraintSpec] = []
        for raw in check.constraints:
            c = check.effective(raw)
            asserted = c.assertion or ("" if c.type == "has_size" else "== 1")
            missing = [x for x in c.needed_columns if x not in present]
            error = None
            if not missing:
                missing, error = _unresolved(df, [c.expression, c.where])
            note = _skip_note(missing, set(c.requires))
            if note:
                skip(check.name, check.level, c.describe(), asserted, note)
                continue
            if error:
                # Left out of the Deequ run: one unresolvable expression fails every metric of the scan.
                invalid.append((check, c, asserted, error))
                continue
            target, plan = (side, aux_planned) if c.type in _OUTSIDE_REPOSITORY else (runnable, planned)
            target.append(c)
            plan.setdefault(check.name, []).append(
                _Planned(check.name, check.level, c.describe(), asserted, constraint=c)
            )
        if runnable:
            main.append((check, runnable))
        if side:
            aux.append((check, side))

    builder = VerificationSuite(spark).onData(df)
    for check, constraints in main:
        builder = builder.addCheck(build_check(spark, check, constraints))
    for metric in suite.metrics:
        missing = [x for x in metric.needed_columns if x not in present]
        missing, error = (missing, None) if missing else _unresolved(df, [metric.predicate, metric.where])
        note = _skip_note(missing, set(metric.requires)) or (f"skipped: {error}" if error else None)
        if note:
            skipped.append(SkippedConstraint(check="metrics", spec=metric.describe(), note=note))
            continue
        analyzer = build_analyzer(metric)
        analyzer._set_jvm(spark._jvm)
        builder._VerificationRunBuilder.addRequiredAnalyzer(analyzer._analyzer_jvm)
    stored: set[tuple[str, str]] = set()
    if history is not None:
        if suite.anomaly_checks:
            # The history holds a few numbers per run: small enough to look at on the driver.
            earlier = load_history(spark, history.path, ordered=False)
            earlier = earlier.where(F.col("dataset_date") < history.dataset_date)
            stored = {(r["instance"], r["name"]) for r in earlier.select("instance", "name").collect()}
        builder = builder.useRepository(history.repository(spark))
        if history.save:
            builder = builder.saveOrAppendResult(history.result_key(spark))
    for anomaly in suite.anomaly_checks:
        spec, asserted = f"anomaly({anomaly.metric.describe()})", _describe_strategy(anomaly)
        missing = [x for x in anomaly.metric.needed_columns if x not in present]
        missing, error = (
            (missing, None) if missing else _unresolved(df, [anomaly.metric.predicate, anomaly.metric.where])
        )
        note = _skip_note(missing, set(anomaly.metric.requires))
        if error and not note:
            failures_invalid.append(_invalid_failure(anomaly.name, anomaly.level, spec, asserted, error))
            continue
        if history is None:
            note = "skipped: no metric history configured for this run"
        elif not note and not _in_history(stored, anomaly.metric):
            note = "skipped: no earlier value of this metric in the history yet (this run starts it)"
            # Measure it anyway, so the history holds it for the next run.
            analyzer = build_analyzer(anomaly.metric)
            analyzer._set_jvm(spark._jvm)
            builder._VerificationRunBuilder.addRequiredAnalyzer(analyzer._analyzer_jvm)
        if note:
            skip(anomaly.name, anomaly.level, spec, asserted, note)
            continue
        builder = _add_anomaly_check(spark, builder, anomaly)
        planned.setdefault(anomaly.name, []).append(_Planned(anomaly.name, anomaly.level, spec, asserted))

    started = time.monotonic()
    result = builder.run()
    log.info("suite %s: Deequ run took %.1fs", suite.name, time.monotonic() - started)
    rows, failures = _collect(spark, df, suite, result, planned)
    metrics_jdf = _frame(lambda: VerificationResult.successMetricsAsDataFrame(spark, result))
    status = result.status
    if aux:
        # Deequ's file repository cannot serialize the ColumnCount and CustomSql analyzers, so these
        # run in a second verification without history. Neither scans the audited rows: one reads
        # the schema, the other is the user's own query.
        aux_builder = VerificationSuite(spark).onData(df)
        for check, constraints in aux:
            aux_builder = aux_builder.addCheck(build_check(spark, check, constraints))
        # custom_sql queries name the audited frame ``primary``, as Glue DQDL does.
        df.createOrReplaceTempView(PRIMARY_VIEW)
        try:
            aux_result = aux_builder.run()
        finally:
            spark.catalog.dropTempView(PRIMARY_VIEW)
        more_rows, more_failures = _collect(spark, df, suite, aux_result, aux_planned)
        rows, failures = rows + more_rows, failures + more_failures
        status = max(status, aux_result.status, key=_STATUS_ORDER.index)

    failures_invalid += [_invalid_failure(ch.name, ch.level, c.describe(), a, e) for ch, c, a, e in invalid]
    for f in failures_invalid:
        failures.append(f)
        rows.append(
            {
                "suite": suite.name,
                "check": f.check,
                "check_level": _DEEQU_LEVEL[f.level],
                "check_status": _DEEQU_LEVEL[f.level],
                "constraint": f.constraint,
                "constraint_status": "Failure",
                "constraint_message": f.message,
                "spec": f.spec,
                "asserted": f.asserted,
                "measured": None,
                "failing_ids": [],
            }
        )
        status = max(status, _DEEQU_LEVEL[f.level], key=_STATUS_ORDER.index)
    check_results = spark.createDataFrame(rows + skipped_rows, _RESULT_SCHEMA)
    metrics = metrics_jdf.select(F.lit(suite.name).alias("suite"), *METRIC_COLUMNS[1:])
    failures.sort(key=lambda f: (f.level != "error", f.check))
    passed = not any(f.level == "error" for f in failures)

    # Log names and verdicts only: messages are returned to the caller, not written to logs.
    log.info(
        "suite %s: status=%s passed=%s failed=%d skipped=%d",
        suite.name,
        status,
        passed,
        len(failures),
        len(skipped),
    )
    for failure in failures:
        log.warning(
            "suite %s: %s check %s failed: %s", suite.name, failure.level, failure.check, failure.spec
        )
    return SuiteOutcome(
        suite=suite.name,
        passed=passed,
        status=status,
        check_results=check_results,
        metrics=metrics,
        failures=failures,
        skipped=skipped,
    )


def _unresolved(df: DataFrame, expressions: list[str | None]) -> tuple[list[str], str | None]:
    """Resolve each SQL expression against ``df``'s schema (analysis only, no Spark job).

    Returns the unresolved column names (when that is the problem) and the error, or ``([], None)``.
    """
    for expression in expressions:
        if not expression:
            continue
        try:
            df.select(F.expr(expression)).schema  # noqa: B018 - forces analysis
        except AnalysisException as exc:
            columns = _UNRESOLVED_RE.findall(str(exc))
            first_line = str(exc).splitlines()[0][:300]
            return columns, f"expression {expression!r} does not resolve: {first_line}"
    return [], None


# Deequ's metric name for each analyzer, as stored in the history.
_METRIC_NAME = {
    "size": "Size",
    "completeness": "Completeness",
    "compliance": "Compliance",
    "mean": "Mean",
    "sum": "Sum",
    "minimum": "Minimum",
    "maximum": "Maximum",
    "standard_deviation": "StandardDeviation",
    "approx_quantile": "ApproxQuantile",
    "approx_count_distinct": "ApproxCountDistinct",
    "distinctness": "Distinctness",
    "uniqueness": "Uniqueness",
    "entropy": "Entropy",
    "histogram": "Histogram",
}


def _in_history(stored: set[tuple[str, str]], metric: MetricSpec) -> bool:
    instance = (
        "*"
        if metric.analyzer == "size"
        else (metric.name if metric.analyzer == "compliance" else metric.column)
    )
    prefix = _METRIC_NAME[metric.analyzer]
    return any(i == instance and n.startswith(prefix) for i, n in stored)


def _invalid_failure(check: str, level: str, spec: str, asserted: str, error: str) -> ConstraintFailure:
    return ConstraintFailure(
        check=check, level=level, constraint=spec, message=error, spec=spec, asserted=asserted
    )


def _frame(make: Callable[[], DataFrame]) -> DataFrame:
    with warnings.catch_warnings():
        # pydeequ wraps Deequ's frames through the deprecated SQLContext and the internal DataFrame
        # constructor; those warnings are about pydeequ, not about the caller.
        for category in (FutureWarning, DeprecationWarning, UserWarning):
            warnings.simplefilter("ignore", category)
        return make()


def _collect(
    spark: SparkSession,
    df: DataFrame,
    suite: SuiteSpec,
    result: Any,
    planned: dict[str, list[_Planned]],
) -> tuple[list[dict[str, Any]], list[ConstraintFailure]]:
    """Result rows and failures of one verification run, paired with the plan that built it."""
    checks_jdf = _frame(lambda: VerificationResult.checkResultsAsDataFrame(spark, result))
    # Deequ's result table has one row per constraint: tiny, safe to bring to the driver. Within a check,
    # rows come in the order the constraints were added, which pairs them with the plan.
    rows: list[dict[str, Any]] = []
    failures: list[ConstraintFailure] = []
    seen: dict[str, int] = {}
    for row in checks_jdf.collect() if planned else []:
        name = row["check"]
        index = seen.get(name, 0)
        seen[name] = index + 1
        plans = planned.get(name, [])
        plan = plans[index] if index < len(plans) else _Planned(name, "warning", "", "")
        message = row["constraint_message"] or ""
        match = _VALUE_RE.search(message)
        measured = float(match.group(1)) if match else None
        ids: list[str] = []
        if row["constraint_status"] != "Success":
            ids = _failing_ids(df, plan.constraint, suite)
            failures.append(
                ConstraintFailure(
                    check=name,
                    level=plan.level,
                    constraint=row["constraint"],
                    message=message,
                    spec=plan.spec,
                    asserted=plan.asserted,
                    measured=measured,
                    failing_ids=tuple(ids),
                )
            )
        rows.append(
            {
                "suite": suite.name,
                "check": name,
                "check_level": row["check_level"],
                "check_status": row["check_status"],
                "constraint": row["constraint"],
                "constraint_status": row["constraint_status"],
                "constraint_message": message,
                "spec": plan.spec,
                "asserted": plan.asserted,
                "measured": measured,
                "failing_ids": ids,
            }
        )
    return rows, failures


def _add_anomaly_check(spark: SparkSession, builder: Any, anomaly: AnomalySpec) -> Any:
    jvm: Any = spark._jvm
    config_cls = jvm.com.amazon.deequ.AnomalyCheckConfig
    level = getattr(jvm.com.amazon.deequ.checks.CheckLevel, _DEEQU_LEVEL[anomaly.level])()
    config = config_cls.apply(
        level,
        anomaly.name,
        getattr(config_cls, "apply$default$3")(),
        getattr(config_cls, "apply$default$4")(),
        getattr(config_cls, "apply$default$5")(),
    )
    strategy = build_strategy(anomaly)
    strategy._set_jvm(jvm)
    analyzer = build_analyzer(anomaly.metric)
    analyzer._set_jvm(jvm)
    # pydeequ's addAnomalyCheck refuses a config; the JVM method takes one, so call it directly.
    builder._VerificationRunBuilder.addAnomalyCheck(
        strategy._anomaly_jvm, analyzer._analyzer_jvm, jvm.scala.Option.apply(config)
    )
    return builder


def _failing_ids(df: DataFrame, spec: ConstraintSpec | None, suite: SuiteSpec) -> list[str]:
    """Ids (never text) of up to ``failing_ids_limit`` rows that broke a row-level constraint."""
    if spec is None or suite.failing_ids_limit == 0 or suite.id_column not in df.columns:
        return []
    if spec.type == "satisfies":
        broken = ~F.coalesce(F.expr(spec.expression or "true"), F.lit(False))
    elif spec.type == "has_pattern":
        col = F.col(spec.column or "")
        broken = col.isNotNull() & ~F.coalesce(col.rlike(spec.pattern or ""), F.lit(False))
    else:
        return []
    if spec.where:
        broken = broken & F.coalesce(F.expr(spec.where), F.lit(False))
    try:
        ids = df.where(broken).select(F.col(suite.id_column).cast("string")).limit(suite.failing_ids_limit)
        return sorted(str(r[0]) for r in ids.collect())
    except AnalysisException:
        # The expression itself does not resolve (Deequ already reported the constraint as failed).
        return []


def _ensure_callback_server(spark: SparkSession) -> None:
    """Make sure py4j's callback server (which Deequ calls to evaluate Python assertions) is up.

    Started the PySpark way (daemon threads, ephemeral port) so pydeequ reuses it rather than starting
    a non-daemon server on the fixed port 25334 that would keep the process alive and collide with a
    second driver on the same host. :func:`dq_engine.spark.session.build_session` already does this.
    """
    ensure_callback_server_started(spark.sparkContext._gateway)
