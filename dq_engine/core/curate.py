"""The curate job: new bronze rows -> pipeline -> ``silver.documents`` + ``silver.rejections``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.faults import pause_point
from dq_engine.core.pipeline import Pipeline
from dq_engine.core.provenance import (
    CURATE_OUTPUTS,
    check_outputs_consistent,
    committed_bronze_version,
    current_epoch,
    output_holdings,
)
from dq_engine.core.stage import Stage
from dq_engine.spark.jobs import described
from dq_engine.versioning.runs import record_run, watermark
from dq_engine.versioning.tables import Tables

log = logging.getLogger(__name__)

CURATE_APP_ID = "dq-engine-curate"


def curate_app_id(epoch: int) -> str:
    """The ``txnAppId`` of curate appends in this restore epoch.

    Delta remembers the highest ``txnVersion`` per app id across a RESTORE, so after ``dq-engine
    restore`` re-curating bronze version 7 under the old app id would be skipped as already written.
    Each restore starts a new epoch and with it a fresh app id.
    """
    return CURATE_APP_ID if epoch == 0 else f"{CURATE_APP_ID}.{epoch}"


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
    #: stages' aggregates of their side-table rows (e.g. PII findings per type), MLflow metrics
    side_metrics: dict[str, float] = field(default_factory=dict)
    skipped: str | None = None
    #: bronze range ``(after, up_to]`` of an interrupted earlier curate that this run completed first
    recovered: tuple[int | None, int] | None = None
    #: the bronze ranges ``(after, up_to]`` curated, in order; more than one when the backlog was
    #: split (``curate.max_rows_per_chunk``) or an interrupted range was completed first
    chunks: list[tuple[int | None, int]] = field(default_factory=list)
    #: counts already written to ``ops.runs`` by the rows of this run's earlier chunks
    recorded: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"documents_in": self.documents_in, "kept": self.kept, "rejected": self.rejected}

    def ops_record(self) -> dict[str, Any]:
        """This step's ``ops.runs`` fields; ``bronze_to`` is the next curate's watermark."""
        return self.chunk_record(len(self.chunks))

    def chunk_record(self, i: int) -> dict[str, Any]:
        """The ``ops.runs`` fields once chunk ``i`` (1-based) is written.

        The input version is the chunk's end (the watermark a later run resumes from), the counts
        are those not yet written by earlier chunks' rows, so a run's rows add up to its totals.
        """
        up_to, message = self.bronze_to, self.skipped
        if len(self.chunks) > 1:
            after, up_to = self.chunks[i - 1]
            message = f"chunk {i} of {len(self.chunks)}: bronze versions ({after}, {up_to}]"
        return {
            "job": "curate",
            "input_versions": {"bronze_documents": up_to},
            "output_versions": {
                "silver_documents": self.silver_version,
                "silver_rejections": self.rejections_version,
                **self.side_versions,
            },
            "counts": {k: v - self.recorded.get(k, 0) for k, v in self.counts().items()},
            "message": message,
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
        out.update({f"curate.{k}": v for k, v in self.side_metrics.items()})
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
    writers: dict[str, list[Stage]] = {}
    for stage in pipeline.stages:
        for table, frame in stage.outputs(decided, ctx).items():
            frames.setdefault(table, []).append(frame)
            writers.setdefault(table, []).append(stage)
    for table, parts in frames.items():
        combined = parts[0]
        for part in parts[1:]:
            combined = combined.unionByName(part, allowMissingColumns=True)
        ctx.tables.append(
            combined,
            table,
            txn_app_id=curate_app_id(int(metadata["epoch"])),
            txn_version=bronze_to,
            user_metadata=metadata,
            merge_schema=True,
        )
        result.side_versions[table] = ctx.tables.current_version(table)
        for stage in writers[table]:
            result.side_metrics.update(stage.output_metrics(table, combined))


def curate_ranges(
    watermark_version: int | None, committed: int | None, bronze_to: int
) -> list[tuple[int | None, int]]:
    """Bronze version ranges ``(after, up_to]`` to curate, oldest first.

    ``ops.runs`` is written after the silver tables, so a curate killed between the two leaves silver
    ahead of the watermark. That range is finished first with the same ``up_to`` (the idempotency key
    of every append), so tables that committed skip it and the others get it; only then does the run
    go on to newer bronze versions. Exactly-once never depends on which commit landed last.
    """
    ranges: list[tuple[int | None, int]] = []
    start = watermark_version
    if committed is not None and (start is None or committed > start) and committed <= bronze_to:
        ranges.append((start, committed))
        start = committed
    if start is None or start < bronze_to:
        ranges.append((start, bronze_to))
    return ranges


def bronze_rows_by_version(tables: Tables, after: int | None, up_to: int) -> dict[int, int]:
    """Rows each bronze version in ``(after, up_to]`` appended, from the commit log (no data read).

    A commit without ``numOutputRows`` (table creation, OPTIMIZE, a property change) adds no rows to
    the change feed and counts 0.
    """
    newest = tables.current_version("bronze_documents")
    if newest is None:
        return {}
    start = -1 if after is None else after
    commits = tables.commit_infos("bronze_documents", max(newest - start, 1))
    return {
        c["version"]: int(c["operationMetrics"].get("numOutputRows") or 0)
        for c in commits
        if start < c["version"] <= up_to
    }


def split_range(
    rows_by_version: dict[int, int], after: int | None, up_to: int, max_rows: int
) -> list[tuple[int | None, int]]:
    """``(after, up_to]`` cut at bronze version boundaries into chunks of at most ``max_rows`` rows.

    A version is never split: one that holds more rows than ``max_rows`` is a chunk of its own
    (ingest's ``max_bytes_per_trigger`` bounds a version). Versions missing from ``rows_by_version``
    count 0. The last chunk always ends at ``up_to``.
    """
    chunks: list[tuple[int | None, int]] = []
    start, held = after, 0
    first = 0 if after is None else after + 1
    for version in range(first, up_to + 1):
        rows = rows_by_version.get(version, 0)
        if held and held + rows > max_rows:
            chunks.append((start, version - 1))
            start, held = version - 1, 0
        held += rows
    chunks.append((start, up_to))
    return chunks


@dataclass(frozen=True)
class CuratePlan:
    """What the next curate would read: bronze versions ``ranges`` (oldest first) in restore ``epoch``.

    ``skipped`` says why there is nothing to curate (then ``ranges`` is empty).
    """

    bronze_from: int | None
    bronze_to: int | None
    ranges: list[tuple[int | None, int]]
    epoch: int
    skipped: str | None


def plan_curate(tables: Tables) -> CuratePlan:
    """Where curate stands: the watermark, the newest bronze version, and the ranges in between.

    Reads only (``ops.runs``, the output tables' commit logs), so a run can ask before it takes the
    lease whether it has anything to do.

    Raises:
        InconsistentLakehouseError: an output was restored outside the engine (see
            :func:`~dq_engine.core.provenance.check_outputs_consistent`).
    """
    bronze_to = tables.current_version("bronze_documents")
    if bronze_to is None:
        return CuratePlan(None, None, [], 0, "bronze.documents does not exist yet")
    bronze_from = watermark(tables, "curate", "bronze_documents")
    holdings = output_holdings(tables)
    check_outputs_consistent(tables, holdings, bronze_from)
    epoch = current_epoch(holdings)
    ranges = curate_ranges(bronze_from, committed_bronze_version(holdings), bronze_to)
    skipped = None if ranges else f"no new bronze versions since {bronze_from}"
    return CuratePlan(bronze_from, bronze_to, ranges, epoch, skipped)


def skipped_curate(tables: Tables, pipeline: Pipeline, plan: CuratePlan) -> CurateResult:
    """The result of a curate that ``plan`` says has nothing to do."""
    result = CurateResult(pipeline=pipeline.name, skipped=plan.skipped)
    if plan.bronze_to is not None:
        result.bronze_from, result.bronze_to = plan.bronze_from, plan.bronze_to
        result.silver_version = tables.current_version("silver_documents")
        result.rejections_version = tables.current_version("silver_rejections")
    return result


def run_curate(ctx: RunContext, pipeline: Pipeline) -> CurateResult:
    """Curate the bronze rows appended since the last successful curate.

    Reads ``bronze.documents`` through the change feed from the watermark in ``ops.runs``; writes kept
    rows to ``silver.documents`` (schema evolves as stages add columns) and one row per dropped document
    to ``silver.rejections``. Both appends are idempotent per bronze version, so rerunning a batch
    whose writes already committed is a no-op, and a batch interrupted between the silver commits and
    the watermark is completed before newer bronze versions (:func:`curate_ranges`).

    A backlog larger than ``curate.max_rows_per_chunk`` bronze rows is curated in chunks of whole
    bronze versions (:func:`split_range`). Each chunk is persisted, written and given its own
    ``ops.runs`` row before the next is read, so memory is bounded by a chunk, not by the backlog, and
    a run killed half way resumes from the last finished chunk.
    """
    tables = ctx.tables
    plan = plan_curate(tables)
    if plan.skipped is not None:
        return skipped_curate(tables, pipeline, plan)
    result = CurateResult(pipeline=pipeline.name)
    ranges, epoch, bronze_to = plan.ranges, plan.epoch, plan.bronze_to
    assert bronze_to is not None
    result.bronze_from, result.bronze_to = plan.bronze_from, bronze_to
    if len(ranges) > 1 or ranges[0][1] != bronze_to:
        log.warning(
            "curate: completing the interrupted curate of bronze versions (%s, %s] first",
            ranges[0][0],
            ranges[0][1],
        )
        result.recovered = ranges[0]
    chunks = _chunks(ctx, plan)
    result.chunks = chunks
    if len(chunks) > 1:
        log.info("curate: %d chunks of bronze versions: %s", len(chunks), chunks)
    for i, (after, up_to) in enumerate(chunks, start=1):
        started = datetime.now(timezone.utc)
        _curate_range(ctx, pipeline, after, up_to, epoch, result)
        result.silver_version = tables.current_version("silver_documents")
        result.rejections_version = tables.current_version("silver_rejections")
        if i < len(chunks):
            _record_chunk(ctx, result, i, started)
    pause_point("curate.before_watermark")  # every silver table written, ops.runs not yet
    log.info(
        "curate %s: in=%d kept=%d rejected=%d", ctx.run_id, result.documents_in, result.kept, result.rejected
    )
    return result


def _chunks(ctx: RunContext, plan: CuratePlan) -> list[tuple[int | None, int]]:
    """The plan's ranges, the newest split into chunks of ``curate.max_rows_per_chunk`` rows.

    An interrupted range is kept whole: its ``up_to`` is the idempotency key the tables that did
    commit it hold.
    """
    *recovering, (after, up_to) = plan.ranges
    max_rows = ctx.config.curate.max_rows_per_chunk
    rows = bronze_rows_by_version(ctx.tables, after, up_to)
    return [*recovering, *split_range(rows, after, up_to, max_rows)]


def _record_chunk(ctx: RunContext, result: CurateResult, i: int, started: datetime) -> None:
    """Write the ``ops.runs`` row of a finished chunk that is not the run's last.

    It moves the curate watermark to the chunk's end, so a run killed in a later chunk resumes from
    there and at most one chunk is ever half committed, the state :func:`curate_ranges` repairs.
    """
    record = result.chunk_record(i)
    record_run(ctx.tables, run_id=ctx.run_id, status="succeeded", started_at=started, **record)
    result.recorded = result.counts()
    pause_point("curate.after_chunk")


def _curate_range(
    ctx: RunContext,
    pipeline: Pipeline,
    bronze_from: int | None,
    bronze_to: int,
    epoch: int,
    result: CurateResult,
) -> None:
    """Curate bronze versions ``(bronze_from, bronze_to]`` and add its counts to ``result``."""
    tables = ctx.tables
    batch = tables.read_appended("bronze_documents", bronze_from, bronze_to)
    decision = pipeline.decide(pipeline.annotate(batch, ctx), ctx)
    decided = decision.annotated.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        what = f"dq-engine curate: stages and counts, bronze ({bronze_from}, {bronze_to}]"
        with described(ctx.spark, what):
            rows = (
                decided.groupBy(
                    F.col(C.DECISION_STAGE).alias("stage"), F.col(C.DECISION_REASON).alias("reason")
                )
                .agg(F.count("*").alias("n"))
                .collect()
            )
        kept = rejected = 0
        rejected_by: dict[str, dict[str, int]] = {}
        for row in rows:
            if row["stage"] is None:
                kept += int(row["n"])
            else:
                rejected_by.setdefault(row["stage"], {})[row["reason"]] = int(row["n"])
                rejected += int(row["n"])
        remaining = kept + rejected
        flow = dict((label, (n_in, n_out)) for label, n_in, n_out in result.stage_flow)
        for stage in pipeline.stages:
            timings = getattr(stage, "timings", None)
            if timings:
                previous = result.stage_seconds.setdefault(stage.label, {})
                for step, seconds in timings.items():
                    previous[step] = previous.get(step, 0.0) + seconds
            dropped = sum(rejected_by.get(stage.label, {}).values())
            n_in, n_out = flow.get(stage.label, (0, 0))
            flow[stage.label] = (n_in + remaining, n_out + remaining - dropped)
            remaining -= dropped
        result.stage_flow = [(stage.label, *flow[stage.label]) for stage in pipeline.stages]
        result.kept += kept
        result.rejected += rejected
        result.documents_in += kept + rejected
        for stage_label, reasons in rejected_by.items():
            into = result.rejected_by.setdefault(stage_label, {})
            for reason, n in reasons.items():
                into[reason] = into.get(reason, 0) + n

        metadata = {"run_id": ctx.run_id, "job": "curate", "bronze_version": bronze_to, "epoch": epoch}
        # Empty appends would still make versions, and an empty silver batch would then fail the audit's
        # size check for no reason; skip them.
        if kept:
            tables.append(
                decision.kept,
                "silver_documents",
                txn_app_id=curate_app_id(epoch),
                txn_version=bronze_to,
                user_metadata=metadata,
                merge_schema=True,
            )
            pause_point("curate.after_silver_documents")
        if rejected:
            tables.append(
                decision.rejections,
                "silver_rejections",
                txn_app_id=curate_app_id(epoch),
                txn_version=bronze_to,
                user_metadata=metadata,
                merge_schema=True,
            )
            pause_point("curate.after_silver_rejections")
        _append_side_outputs(ctx, pipeline, decided, bronze_to, metadata, result)
    finally:
        decided.unpersist()
        pipeline.cleanup(ctx)


__all__ = [
    "CURATE_APP_ID",
    "CURATE_OUTPUTS",
    "CurateResult",
    "bronze_rows_by_version",
    "curate_app_id",
    "curate_ranges",
    "run_curate",
    "split_range",
]
