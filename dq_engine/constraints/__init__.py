"""Deequ suites for dq-engine: the only package that imports pydeequ.

Deequ separates what is *measured* from what is *asserted*, and so does this package:

- measured: each constraint ``type`` names one Deequ metric over the data (``Size``, ``Completeness``,
  ``Uniqueness``, ``MinLength``, ``Compliance`` ...). Deequ computes all metrics a suite needs in as few
  passes as it can, and they are returned as a DataFrame (``SuiteOutcome.metrics``) that can be stored and
  compared over time.
- asserted: each constraint's ``assertion`` (``">= 0.95"``, ``"between 10 and 100"``) is a plain value
  checked against that metric, parsed by :func:`parse_assertion` without ``eval``. A check groups
  assertions at one level: ``error`` blocks the publish, ``warning`` is only reported.

:mod:`~dq_engine.constraints.suite` holds the typed YAML models (no Spark, no pydeequ);
:mod:`~dq_engine.constraints.runner` turns them into Deequ checks and runs one ``VerificationSuite``;
:mod:`~dq_engine.constraints.corpus` adds the corpus text metric columns suites assert on;
:mod:`~dq_engine.constraints.history` is the metric history (a Deequ metrics repository) anomaly checks
read; :mod:`~dq_engine.constraints.dqdl` reads Glue DQDL rulesets; :mod:`~dq_engine.constraints.suggest`
turns Deequ's constraint suggestions into a starter suite.

Example:
    >>> from dq_engine.constraints import load_suite, run_suite
    >>> outcome = run_suite(spark, df, load_suite("conf/constraints/silver_documents.yaml"))  # doctest: +SKIP
    >>> outcome.passed  # doctest: +SKIP
    True
"""

from __future__ import annotations

from dq_engine.constraints.history import MetricsHistory, load_history, repository_path
from dq_engine.constraints.runner import (
    CHECK_RESULT_COLUMNS,
    METRIC_COLUMNS,
    ConstraintFailure,
    SkippedConstraint,
    SuiteOutcome,
    build_check,
    run_suite,
)
from dq_engine.constraints.suite import (
    AnomalySpec,
    Assertion,
    CheckSpec,
    ConstraintSpec,
    ConstraintType,
    MetricSpec,
    SuiteConfigError,
    SuiteSpec,
    load_suite,
    parse_assertion,
)

__all__ = [
    "CHECK_RESULT_COLUMNS",
    "METRIC_COLUMNS",
    "AnomalySpec",
    "Assertion",
    "CheckSpec",
    "ConstraintFailure",
    "ConstraintSpec",
    "ConstraintType",
    "MetricSpec",
    "MetricsHistory",
    "SkippedConstraint",
    "SuiteConfigError",
    "SuiteOutcome",
    "SuiteSpec",
    "build_check",
    "load_history",
    "load_suite",
    "parse_assertion",
    "repository_path",
    "run_suite",
]
