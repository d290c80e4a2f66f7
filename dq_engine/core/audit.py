"""Write-audit-publish: Deequ suite over the unpublished silver batch, then ``gold.documents``.

The suite runs on the silver batch with the corpus text metric columns of
:mod:`dq_engine.constraints.corpus` (``text_chars``, ``text_words``, ``pii_residual``); a suite with
``dataset: corpus`` also sees the batch's rejections as ``kept = false`` rows, so rejection and duplicate
rates are plain shares. Every audit appends its metrics to the table's Deequ metric history, which the
suite's anomaly checks compare against. :func:`reaudit` runs a suite on any table version without
publishing or touching the history.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from dq_engine.config.loader import suite_path
from dq_engine.constraints import ConstraintFailure, SkippedConstraint, SuiteSpec, run_suite
from dq_engine.constraints.corpus import corpus_frame, with_text_metrics
from dq_engine.constraints.history import MetricsHistory, repository_path
from dq_engine.constraints.loader import load_suite_file
from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.faults import pause_point
from dq_engine.core.provenance import (
    PUBLISH_JOBS,
    check_silver_consistent,
    silver_bronze_version,
)
from dq_engine.spark.jobs import described
from dq_engine.versioning.lineage import holding
from dq_engine.versioning.runs import watermarks
from dq_engine.versioning.tables import Tables

log = logging.getLogger(__name__)

PUBLISH_APP_ID = "dq-engine-publish"


class AuditFailedError(RuntimeError):
    """An Error-level check failed; nothing was published. ``result`` holds what the audit found."""

    def __init__(self, message: str, result: AuditResult | None = None):
        super().__init__(message)
        self.result = result


@dataclass
class AuditResult:
    """What the audit checked and whether it published."""

    suite: str
    silver_from: int | None = None
    silver_to: int | None = None
    rejections_to: int | None = None
    table: str = "silver_documents"
    passed: bool | None = None
    status: str | None = None
    failures: list[ConstraintFailure] = field(default_factory=list)
    skipped_constraints: list[SkippedConstraint] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    published: bool = False
    gold_version: int | None = None
    results_version: int | None = None
    skipped: str | None = None

    def ops_record(self) -> dict[str, Any]:
        """This step's ``ops.runs`` fields; ``silver_to`` is the next audit's watermark."""
        return {
            "job": "publish",
            "input_versions": {"silver_documents": self.silver_to, "silver_rejections": self.rejections_to},
            "output_versions": {"gold_documents": self.gold_version, "ops_dq_results": self.results_version},
            "message": self.skipped,
        }

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {
            "audit.constraints": len(self.checks),
            "audit.failures": len(self.failures),
            "audit.warnings": len(self.warnings),
            "audit.skipped": len(self.skipped_constraints),
        }
        for row in self.checks:
            if row.get("measured") is not None and row.get("spec"):
                out[f"audit.measured.{_metric_key(row['check'], row['spec'])}"] = float(row["measured"])
        if self.passed is not None:
            out["audit.passed"] = 1.0 if self.passed else 0.0
        out["publish.published"] = 1.0 if self.published else 0.0
        return out

    @property
    def warnings(self) -> list[ConstraintFailure]:
        return [f for f in self.failures if f.level == "warning"]

    def failure_message(self) -> str:
        """Which constraints failed, each with its measured value next to the asserted one."""
        lines = [
            f"audit suite {self.suite!r} failed on {self.table} versions "
            f"({self.silver_from}, {self.silver_to}]; gold.documents was NOT published:"
        ]
        lines += [f"  {f.explain()}" for f in self.failures]
        return "\n".join(lines)

    def report_lines(self) -> list[str]:
        """Warnings and skipped constraints, for the run summary."""
        lines = [f"  {f.explain()}" for f in self.warnings]
        lines += [f"  [skipped] {s.check}: {s.spec}: {s.note}" for s in self.skipped_constraints]
        return lines


def _metric_key(check: str, spec: str) -> str:
    """An MLflow-safe metric name for a constraint's measured value."""
    return re.sub(r"[^0-9A-Za-z_.\-/ ]", "_", f"{check}.{spec}")[:240]


def history_for(ctx: RunContext, table: str, version: int, suite: SuiteSpec, save: bool) -> MetricsHistory:
    """The metric history of ``table`` with this run's tags."""
    return MetricsHistory(
        path=repository_path(ctx.config.lakehouse.root, table),
        tags={
            "run_id": ctx.run_id,
            "table": table,
            "table_version": str(version),
            "pipeline": ctx.config.pipeline,
            "suite": suite.name,
        },
        save=save,
    )


def audit_frame(
    ctx: RunContext, suite: SuiteSpec, documents: DataFrame, rejections_from: int | None
) -> tuple[DataFrame, int | None]:
    """The frame the suite runs on, and the ``silver.rejections`` version it includes.

    ``dataset: table`` -> the documents with text metric columns; ``dataset: corpus`` -> those plus the
    rejections appended after ``rejections_from`` and per-document PII finding counts.
    """
    tables = ctx.tables
    if suite.dataset != "corpus":
        return with_text_metrics(documents), None
    rejections_to = tables.current_version("silver_rejections")
    rejections = None
    if rejections_to is not None and (rejections_from is None or rejections_from < rejections_to):
        rejections = tables.read_appended("silver_rejections", rejections_from, rejections_to)
    findings = tables.read("silver_pii_findings") if tables.exists("silver_pii_findings") else None
    return corpus_frame(documents, rejections, findings), rejections_to


def _store(ctx: RunContext, outcome: Any, result: AuditResult, table: str, version: int) -> None:
    stamp = {
        "run_id": F.lit(ctx.run_id),
        "table": F.lit(table),
        "table_version": F.lit(version).cast("long"),
        "checked_at": F.current_timestamp(),
    }
    checks = outcome.check_results.withColumns(stamp)
    result.checks = [r.asDict() for r in checks.drop("checked_at").collect()]  # one row per constraint
    metadata = {"run_id": ctx.run_id, "job": "audit", "silver_version": version}
    tables = ctx.tables
    tables.append(checks, "ops_dq_results", user_metadata=metadata, merge_schema=True)
    tables.append(
        outcome.metrics.withColumns(stamp), "ops_dq_metrics", user_metadata=metadata, merge_schema=True
    )
    result.results_version = tables.current_version("ops_dq_results")


def _published_through(tables: Tables, watermark_version: int | None) -> int | None:
    """The silver version gold already holds, from gold's own commits or the ``ops.runs`` watermark.

    Gold is written before ``ops.runs``; a run killed between the two leaves gold ahead of the
    watermark. Its checks had passed (gold is only written after them), so that range is done: starting
    from the watermark instead would publish it a second time under the next run's idempotency key.
    """
    gold = holding(tables, "gold_documents", PUBLISH_JOBS)
    committed = None if gold is None else gold.get("silver_version")
    if committed is None:
        return watermark_version
    return committed if watermark_version is None else max(watermark_version, committed)


def plan_audit(ctx: RunContext) -> tuple[SuiteSpec, AuditResult, dict[str, int | None]]:
    """The suite, the result so far (``silver_from``/``silver_to``, or ``skipped`` with the reason) and
    the publish watermarks in ``ops.runs`` (``silver_documents``, ``silver_rejections``).

    Reads only, so a run can ask before it takes the lease whether it has anything to do.

    Raises:
        InconsistentLakehouseError: silver was restored outside the engine after the last publish.
    """
    tables = ctx.tables
    suite = load_suite_file(suite_path(ctx.config))
    result = AuditResult(suite=suite.name)
    silver_to = tables.current_version("silver_documents")
    result.gold_version = tables.current_version("gold_documents")
    if silver_to is None:
        result.skipped = "silver.documents does not exist yet"
        return suite, result, {}
    marks = watermarks(tables, "publish", ("silver_documents", "silver_rejections"))
    silver_from = _published_through(tables, marks["silver_documents"])
    result.silver_from, result.silver_to = silver_from, silver_to
    check_silver_consistent(tables, silver_from)
    if silver_from is not None and silver_from >= silver_to:
        result.skipped = f"silver.documents has nothing new since version {silver_from}"
    return suite, result, marks


def run_audit(ctx: RunContext, publish: bool = True) -> AuditResult:
    """Audit the silver rows appended since the last publish; publish them to gold if they pass.

    Check results go to ``ops.dq_results`` and Deequ metrics to ``ops.dq_metrics`` (both keyed by run id
    and silver version) and to the metric history of ``silver_documents``. Publishing is one idempotent
    Delta append per silver version, tagged with the run id in the commit's ``userMetadata``. Warning
    failures publish and are reported in ``AuditResult.warnings``.

    Raises:
        AuditFailedError: an Error-level constraint failed (results are still stored).
    """
    tables = ctx.tables
    suite, result, marks = plan_audit(ctx)
    if result.skipped is not None:
        return result
    silver_from, silver_to = result.silver_from, result.silver_to
    assert silver_to is not None

    batch = tables.read_appended("silver_documents", silver_from, silver_to)
    frame, result.rejections_to = audit_frame(ctx, suite, batch, marks["silver_rejections"])
    history = history_for(ctx, "silver_documents", silver_to, suite, save=True)
    with described(ctx.spark, f"dq-engine audit: suite {suite.name} on silver ({silver_from}, {silver_to}]"):
        outcome = run_suite(ctx.spark, frame, suite, history)
    result.passed, result.status, result.failures = outcome.passed, outcome.status, list(outcome.failures)
    result.skipped_constraints = list(outcome.skipped)
    _store(ctx, outcome, result, "silver_documents", silver_to)
    pause_point("audit.after_results")
    if not outcome.passed:
        raise AuditFailedError(result.failure_message(), result)
    if publish:
        gold = batch.withColumns({C.PUBLISH_RUN_ID: F.lit(ctx.run_id), C.PUBLISHED_AT: F.current_timestamp()})
        tables.append(
            gold,
            "gold_documents",
            txn_app_id=PUBLISH_APP_ID,
            txn_version=silver_to,
            user_metadata={
                "run_id": ctx.run_id,
                "job": "publish",
                "silver_version": silver_to,
                "bronze_version": silver_bronze_version(tables, silver_to),
            },
            merge_schema=True,
        )
        result.published = True
        result.gold_version = tables.current_version("gold_documents")
        pause_point("publish.before_watermark")
    return result


def reaudit(
    ctx: RunContext, table: str, version: int | None = None, suite_name: str | None = None
) -> AuditResult:
    """Run the suite on ``table`` as of ``version`` (time travel); never publishes.

    Results are stored in ``ops.dq_results``/``ops.dq_metrics`` like any audit (keyed by this run id,
    the table and the version). Anomaly checks compare against the table's metric history, but the
    re-audit does not add to it: a past version must not rewrite the history's order.
    A ``dataset: corpus`` suite on ``silver_documents`` sees the latest ``silver.rejections`` in full
    (rejections are not versioned with the documents); on any other table it sees the table's rows as
    kept documents and no rejections.

    Raises:
        AuditFailedError: an Error-level constraint failed (results are still stored).
    """
    tables = ctx.tables
    suite = load_suite_file(suite_path(ctx.config, suite_name))
    resolved = version if version is not None else tables.current_version(table)
    if resolved is None:
        raise ValueError(f"table {table} does not exist at {tables.describe(table)}")
    documents = tables.read(table, resolved)
    if suite.dataset == "corpus" and table == "silver_documents":
        frame, _ = audit_frame(ctx, suite, documents, None)
    elif suite.dataset == "corpus":
        frame = corpus_frame(documents)  # every row counts as kept; no rejections to add
    else:
        frame = with_text_metrics(documents)
    result = AuditResult(suite=suite.name, table=table, silver_to=resolved)
    outcome = run_suite(ctx.spark, frame, suite, history_for(ctx, table, resolved, suite, save=False))
    result.passed, result.status, result.failures = outcome.passed, outcome.status, list(outcome.failures)
    result.skipped_constraints = list(outcome.skipped)
    _store(ctx, outcome, result, table, resolved)
    if not outcome.passed:
        raise AuditFailedError(result.failure_message(), result)
    return result
