"""Write-audit-publish: Deequ suite over the unpublished silver batch, then ``gold.documents``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import functions as F

from dq_engine.config.loader import suite_path
from dq_engine.constraints import ConstraintFailure, load_suite, run_suite
from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.versioning.runs import watermark

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
    passed: bool | None = None
    status: str | None = None
    failures: list[ConstraintFailure] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    published: bool = False
    gold_version: int | None = None
    results_version: int | None = None
    skipped: str | None = None

    def ops_record(self) -> dict[str, Any]:
        """This step's ``ops.runs`` fields; ``silver_to`` is the next audit's watermark."""
        return {
            "job": "publish",
            "input_versions": {"silver_documents": self.silver_to},
            "output_versions": {"gold_documents": self.gold_version, "ops_dq_results": self.results_version},
            "message": self.skipped,
        }

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {"audit.constraints": len(self.checks), "audit.failures": len(self.failures)}
        if self.passed is not None:
            out["audit.passed"] = 1.0 if self.passed else 0.0
        out["publish.published"] = 1.0 if self.published else 0.0
        return out

    def failure_message(self) -> str:
        lines = [
            f"audit suite {self.suite!r} failed on silver.documents versions "
            f"({self.silver_from}, {self.silver_to}]; gold.documents was NOT published:"
        ]
        for f in self.failures:
            lines.append(f"  [{f.level}] {f.check}: {f.constraint}: {f.message}")
        return "\n".join(lines)


def run_audit(ctx: RunContext, publish: bool = True) -> AuditResult:
    """Audit the silver rows appended since the last publish; publish them to gold if they pass.

    Check results go to ``ops.dq_results`` and Deequ metrics to ``ops.dq_metrics`` (both keyed by run id
    and silver version). Publishing is one idempotent Delta append per silver version, tagged with the
    run id in the commit's ``userMetadata``.

    Raises:
        AuditFailedError: an Error-level constraint failed (results are still stored).
    """
    tables = ctx.tables
    suite_file = suite_path(ctx.config)
    suite = load_suite(suite_file)
    result = AuditResult(suite=suite.name)
    silver_to = tables.current_version("silver_documents")
    result.gold_version = tables.current_version("gold_documents")
    if silver_to is None:
        result.skipped = "silver.documents does not exist yet"
        return result
    silver_from = watermark(tables, "publish", "silver_documents")
    result.silver_from, result.silver_to = silver_from, silver_to
    if silver_from is not None and silver_from >= silver_to:
        result.skipped = f"silver.documents has nothing new since version {silver_from}"
        return result

    batch = tables.read_appended("silver_documents", silver_from, silver_to)
    outcome = run_suite(ctx.spark, batch, suite)
    result.passed, result.status, result.failures = outcome.passed, outcome.status, list(outcome.failures)
    stamp = {
        "run_id": F.lit(ctx.run_id),
        "table": F.lit("silver_documents"),
        "table_version": F.lit(silver_to).cast("long"),
        "checked_at": F.current_timestamp(),
    }
    checks = outcome.check_results.withColumns(stamp)
    result.checks = [r.asDict() for r in checks.drop("checked_at").collect()]  # one row per constraint
    metadata = {"run_id": ctx.run_id, "job": "audit", "silver_version": silver_to}
    tables.append(checks, "ops_dq_results", user_metadata=metadata, merge_schema=True)
    tables.append(
        outcome.metrics.withColumns(stamp), "ops_dq_metrics", user_metadata=metadata, merge_schema=True
    )
    result.results_version = tables.current_version("ops_dq_results")
    if not outcome.passed:
        raise AuditFailedError(result.failure_message(), result)
    if publish:
        gold = batch.withColumns({C.PUBLISH_RUN_ID: F.lit(ctx.run_id), C.PUBLISHED_AT: F.current_timestamp()})
        tables.append(
            gold,
            "gold_documents",
            txn_app_id=PUBLISH_APP_ID,
            txn_version=silver_to,
            user_metadata={"run_id": ctx.run_id, "job": "publish", "silver_version": silver_to},
            merge_schema=True,
        )
        result.published = True
        result.gold_version = tables.current_version("gold_documents")
    return result
