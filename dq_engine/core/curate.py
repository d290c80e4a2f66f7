"""The curate job: new bronze rows -> pipeline -> ``silver.documents`` + ``silver.rejections``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.pipeline import Pipeline
from dq_engine.versioning.runs import watermark

log = logging.getLogger(__name__)

CURATE_APP_ID = "dq-engine-curate"


@dataclass
class CurateResult:
    """Counts and versions of one curate run. ``documents_in == kept + rejected`` always."""

    pipeline: str
    bronze_from: int | None = None
    bronze_to: int | None = None
    documents_in: int = 0
    kept: int = 0
    rejected: int = 0
    rejected_by: dict[str, dict[str, int]] = field(default_factory=dict)
    stage_flow: list[tuple[str, int, int]] = field(default_factory=list)
    stage_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    silver_version: int | None = None
    rejections_version: int | None = None
    side_versions: dict[str, int | None] = field(default_factory=dict)
    skipped: str | None = None

    def ops_record(self) -> dict[str, Any]:
        """This step's ``ops.runs`` fields; ``bronze_to`` is the next curate's watermark."""
        return {
            "job": "curate",
            "input_versions": {"bronze_documents": self.bronze_to},
            "output_versions": {
                "silver_documents": self.silver_version,
                "silver_rejections": self.rejections_version,
                **self.side_versions,
            },
            "counts": {"documents_in": self.documents_in, "kept": self.kept, "rejected": self.rejected},
            "message": self.skipped,
        }

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {
            "curate.documents_in": self.documents_in,
            "curate.kept": self.kept,
            "curate.rejected": self.rejected,
        }
        for stage, reasons in self.rejected_by.items():
            for reason, n in reasons.items():
                out[f"curate.rejected.{stage}.{reason}"] = n
        for stage, n_in, n_out in self.stage_flow:
            out[f"curate.stage.{stage}.in"] = n_in
            out[f"curate.stage.{stage}.out"] = n_out
        for stage, steps in self.stage_seconds.items():
            for step, seconds in steps.items():
                out[f"curate.stage.{stage}.seconds.{step}"] = seconds
        return out


def _append_side_outputs(
    ctx: RunContext,
    pipeline: Pipeline,
    decided: DataFrame,
    bronze_to: int,
    metadata: dict[str, Any],
    result: CurateResult,
) -> None:
    """Append every stage's side tables (dedup clusters, MinHash index, PII findings), one commit each.

    Idempotent per bronze version like the silver appends, so a rerun after a crash never doubles them.
    """
    frames: dict[str, list[DataFrame]] = {}
    for stage in pipeline.stages:
        for table, frame in stage.outputs(decided, ctx).items():
            frames.setdefault(table, []).append(frame)
    for table, parts in frames.items():
        combined = parts[0]
        for part in parts[1:]:
            combined = combined.unionByName(part, allowMissingColumns=True)
        ctx.tables.append(
            combined,
            table,
            txn_app_id=CURATE_APP_ID,
            txn_version=bronze_to,
            user_metadata=metadata,
            merge_schema=True,
        )
        result.side_versions[table] = ctx.tables.current_version(table)


def run_curate(ctx: RunContext, pipeline: Pipeline) -> CurateResult:
    """Curate the bronze rows appended since the last successful curate.

    Reads ``bronze.documents`` through the change feed from the watermark in ``ops.runs``; writes kept
    rows to ``silver.documents`` (schema evolves as stages add columns) and one row per dropped document
    to ``silver.rejections``. Both appends are idempotent per bronze version, so rerunning a batch
    whose writes already committed is a no-op. Counting is one aggregation over the persisted batch.
    """
    tables = ctx.tables
    result = CurateResult(pipeline=pipeline.name)
    bronze_to = tables.current_version("bronze_documents")
    if bronze_to is None:
        result.skipped = "bronze.documents does not exist yet"
        return result
    bronze_from = watermark(tables, "curate", "bronze_documents")
    result.bronze_from, result.bronze_to = bronze_from, bronze_to
    if bronze_from is not None and bronze_from >= bronze_to:
        result.skipped = f"no new bronze versions since {bronze_from}"
        result.silver_version = tables.current_version("silver_documents")
        result.rejections_version = tables.current_version("silver_rejections")
        return result

    batch = tables.read_appended("bronze_documents", bronze_from, bronze_to)
    decision = pipeline.decide(pipeline.annotate(batch, ctx), ctx)
    decided = decision.annotated.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rows = (
            decided.groupBy(F.col(C.DECISION_STAGE).alias("stage"), F.col(C.DECISION_REASON).alias("reason"))
            .agg(F.count("*").alias("n"))
            .collect()
        )
        for row in rows:
            if row["stage"] is None:
                result.kept += int(row["n"])
            else:
                result.rejected_by.setdefault(row["stage"], {})[row["reason"]] = int(row["n"])
        result.rejected = sum(n for reasons in result.rejected_by.values() for n in reasons.values())
        result.documents_in = result.kept + result.rejected
        remaining = result.documents_in
        for stage in pipeline.stages:
            timings = getattr(stage, "timings", None)
            if timings:
                result.stage_seconds[stage.label] = dict(timings)
            dropped = sum(result.rejected_by.get(stage.label, {}).values())
            result.stage_flow.append((stage.label, remaining, remaining - dropped))
            remaining -= dropped

        metadata = {"run_id": ctx.run_id, "job": "curate", "bronze_version": bronze_to}
        # Empty appends would still make versions, and an empty silver batch would then fail the audit's
        # size check for no reason; skip them.
        if result.kept:
            tables.append(
                decision.kept,
                "silver_documents",
                txn_app_id=CURATE_APP_ID,
                txn_version=bronze_to,
                user_metadata=metadata,
                merge_schema=True,
            )
        if result.rejected:
            tables.append(
                decision.rejections,
                "silver_rejections",
                txn_app_id=CURATE_APP_ID,
                txn_version=bronze_to,
                user_metadata=metadata,
                merge_schema=True,
            )
        _append_side_outputs(ctx, pipeline, decided, bronze_to, metadata, result)
    finally:
        decided.unpersist()
        for stage in pipeline.stages:
            stage.cleanup(ctx)
    result.silver_version = tables.current_version("silver_documents")
    result.rejections_version = tables.current_version("silver_rejections")
    log.info(
        "curate %s: in=%d kept=%d rejected=%d", ctx.run_id, result.documents_in, result.kept, result.rejected
    )
    return result
