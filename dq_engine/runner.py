"""Job orchestration shared by the CLI, ``jobs/run_pipeline.py`` and notebooks.

``run_job("run", config)`` = ingest -> curate -> audit -> publish in one MLflow run, one row per step
in ``ops.runs``. Each step is incremental, so rerunning on the same landing data is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal, TypeVar

from pyspark.sql import SparkSession

from dq_engine.config.loader import load_pipeline, suite_path
from dq_engine.config.models import AppConfig
from dq_engine.core.audit import AuditFailedError, AuditResult, plan_audit, run_audit
from dq_engine.core.context import RunContext, new_run_id
from dq_engine.core.curate import CurateResult, plan_curate, run_curate, skipped_curate
from dq_engine.core.pipeline import Pipeline
from dq_engine.ingest.job import IngestResult, run_ingest, skip_reason, skipped_ingest
from dq_engine.metrics.mlflow_sink import mlflow_run
from dq_engine.spark.session import build_session
from dq_engine.versioning.lease import current_state, hold
from dq_engine.versioning.runs import record_run
from dq_engine.versioning.tables import Tables

log = logging.getLogger(__name__)

EXIT_AUDIT_FAILED = 2

T = TypeVar("T")

Job = Literal["ingest", "curate", "audit", "run"]
STEPS: dict[str, tuple[str, ...]] = {
    "ingest": ("ingest",),
    "curate": ("curate",),
    "audit": ("audit",),
    "run": ("ingest", "curate", "audit"),
}
TABLES_REPORTED = (
    "bronze_documents",
    "bronze_quarantine",
    "silver_documents",
    "silver_rejections",
    "silver_dedup_clusters",
    "silver_minhash_index",
    "silver_pii_findings",
    "gold_documents",
    "ops_dq_results",
)


@dataclass
class JobReport:
    """Everything a caller (CLI summary, notebook, test) needs to know about one job run."""

    run_id: str
    job: str
    status: str = "running"
    message: str | None = None
    #: every step found nothing new before the lease was taken: no lease event, no ``ops.runs`` row,
    #: no Delta commit at all (the MLflow run still records it)
    nothing_new: bool = False
    ingest: IngestResult | None = None
    curate: CurateResult | None = None
    audit: AuditResult | None = None
    versions_before: dict[str, int | None] = field(default_factory=dict)
    versions_after: dict[str, int | None] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    mlflow_tracking_uri: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    @property
    def exit_code(self) -> int:
        """Process exit code for CLIs and job scripts: 0 success, 2 audit blocked the publish, 1 other."""
        return {"succeeded": 0, "audit_failed": EXIT_AUDIT_FAILED}.get(self.status, 1)


def session_for(config: AppConfig) -> SparkSession:
    """Build or adopt the SparkSession the config describes."""
    s = config.spark
    return build_session(
        app_name=s.app_name, master=s.master, conf=s.conf, jars_dir=s.jars_dir, adopt_active=s.adopt_active
    )


def _versions(tables: Tables) -> dict[str, int | None]:
    return {name: tables.current_version(name) for name in TABLES_REPORTED}


def run_job(job: Job, config: AppConfig, spark: SparkSession | None = None) -> JobReport:
    """Run ``ingest``, ``curate``, ``audit`` (audit + publish) or ``run`` (all three).

    Never raises for an audit failure: the report's ``status`` is ``audit_failed`` and ``message`` says
    which Error-level constraints failed. Other errors propagate after the MLflow run is marked FAILED
    and ``ops.runs`` has a ``failed`` row.

    The job holds the lakehouse's writer lease (:mod:`dq_engine.versioning.lease`) throughout, except
    when every step finds nothing new before it is taken (:func:`nothing_new`): such a run commits
    nothing to the lakehouse, not even the lease or ``ops.runs``, and reports ``nothing_new``.

    Raises:
        LeaseHeldError: another run holds the lease (nothing was written, no MLflow run was opened).
    """
    if job not in STEPS:
        raise ValueError(f"unknown job {job!r}; one of {sorted(STEPS)}")
    spark = spark or session_for(config)
    tables = Tables(spark, config.lakehouse)
    ctx = RunContext(spark=spark, config=config, tables=tables, run_id=new_run_id())
    pipeline_settings = load_pipeline(config) if job in ("curate", "run") else None
    pipeline = Pipeline.from_settings(pipeline_settings) if pipeline_settings else None
    report = JobReport(run_id=ctx.run_id, job=job)
    idle = nothing_new(ctx, job, pipeline)
    report.nothing_new = idle is not None
    # One writer per lakehouse: a second run fails here (or waits), before any MLflow run or ops row.
    # A run with nothing to do writes nothing, so it needs no lease.
    with nullcontext(None) if idle is not None else hold(tables, ctx.run_id, job) as lease:
        report.locations = {name: tables.describe(name) for name in TABLES_REPORTED}
        report.versions_before = _versions(tables)
        tags = {"dq_engine.job": job, "dq_engine.run_id": ctx.run_id, "dq_engine.env": config.env}
        with mlflow_run(config.mlflow, run_name=f"{job}-{ctx.run_id}", tags=tags) as sink:
            report.mlflow_run_id = sink.run_id
            report.mlflow_tracking_uri = sink.tracking_uri
            sink.log_params(
                {
                    "job": job,
                    "run_id": ctx.run_id,
                    "pipeline": config.pipeline,
                    "audit.suite": config.audit.suite,
                    "env": config.env,
                }
            )
            sink.log_params({f"input_version.{k}": v for k, v in report.versions_before.items()})
            resolved = config.model_dump(mode="json")
            # Every resolved setting as a param (searchable in the MLflow UI; long values truncated) and
            # the whole config as an artifact (exact).
            sink.log_params({"config": resolved})
            sink.log_dict(resolved, "config/resolved.json")
            if pipeline_settings is not None:
                sink.log_dict(pipeline_settings.model_dump(mode="json"), "config/pipeline.json")
            if idle is not None:
                sink.set_tags({"dq_engine.nothing_new": "true"})
            try:
                if idle is not None:
                    report.ingest, report.curate, report.audit = idle
                else:
                    assert lease is not None
                    for step in STEPS[job]:
                        lease.check()
                        _run_step(step, ctx, pipeline, report)
                report.status = "succeeded"
            except AuditFailedError as exc:
                report.status = "audit_failed"
                report.message = str(exc)
                sink.status = "FAILED"
            except Exception as exc:
                report.status = "failed"
                report.message = f"{type(exc).__name__}: {exc}"
                message = report.message[:2000]
                _after_failure(
                    "record the failed run in ops.runs",
                    lambda: record_run(
                        tables,
                        run_id=ctx.run_id,
                        job=job,
                        status="failed",
                        started_at=ctx.started_at,
                        message=message,
                    ),
                    None,
                )
                raise
            finally:
                if report.status == "failed":
                    report.versions_after = _after_failure(
                        "read the tables' versions", lambda: _versions(tables), {}
                    )
                else:
                    report.versions_after = _versions(tables)
                sink.log_params({f"output_version.{k}": v for k, v in report.versions_after.items()})
                for part in (report.ingest, report.curate, report.audit):
                    if part is not None:
                        sink.log_metrics(part.metrics())
                if report.audit is not None and report.audit.checks:
                    sink.log_dict(
                        {
                            "suite": report.audit.suite,
                            "passed": report.audit.passed,
                            "status": report.audit.status,
                            "constraints": report.audit.checks,
                        },
                        "audit/results.json",
                    )
                sink.set_tags({"dq_engine.status": report.status})
                sink.log_text(format_summary(report), "summary.txt")
    return report


def _after_failure(what: str, action: Callable[[], T], default: T) -> T:
    """Bookkeeping after a step failed. When the failure took Spark down with it (an out-of-memory
    error stops the SparkContext) the bookkeeping fails too; that second error is logged, never raised
    over the first, so the caller sees what actually went wrong."""
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 - the original error is being raised
        log.error("could not %s after the failure: %s: %s", what, type(exc).__name__, str(exc)[:300])
        return default


def nothing_new(
    ctx: RunContext, job: Job, pipeline: Pipeline | None
) -> tuple[IngestResult | None, CurateResult | None, AuditResult | None] | None:
    """Each step's skipped result when none of ``job``'s steps has anything to do; None otherwise.

    Asked before the lease is taken, with reads only: the landing folders against the stream
    checkpoints (a file listing), then the lease's state, the curate and publish watermarks and the
    tables' commit logs. The cheapest question goes first and the first step with work ends the
    probe. A step counts as idle only when its watermark in ``ops.runs`` already covers its input, so a
    run killed between its output commit and its ``ops.runs`` row still goes the full way (which
    records the watermark). A lease held by a live run also sends the run the full way, where it waits
    or is refused as before. Any error here does the same: the full run raises it under the lease.
    """
    tables = ctx.tables
    steps = STEPS[job]
    try:
        ingest = curate = audit = None
        if "ingest" in steps:
            reasons = [skip_reason(ctx, source) for source in ctx.config.ingest.sources]
            if any(reason is None for reason in reasons):
                return None
            ingest = skipped_ingest(ctx, [r for r in reasons if r is not None])
        if tables.settings.lease.enabled:
            state = current_state(tables)
            if state is not None and state.held(datetime.now(timezone.utc)):
                return None
        if "curate" in steps:
            assert pipeline is not None
            plan = plan_curate(tables)
            if plan.skipped is None or not _covers(plan.bronze_from, plan.bronze_to):
                return None
            curate = skipped_curate(tables, pipeline, plan)
        if "audit" in steps:
            _suite, audit, marks = plan_audit(ctx)
            if audit.skipped is None or not _covers(marks.get("silver_documents"), audit.silver_to):
                return None
    except Exception as exc:  # noqa: BLE001 - the full run meets the same error under the lease
        log.debug("nothing_new probe: %s: %s", type(exc).__name__, exc)
        return None
    return ingest, curate, audit


def _covers(watermark: int | None, newest: int | None) -> bool:
    """Whether a step's watermark reaches its input's newest version (true for an absent input)."""
    return newest is None or (watermark is not None and watermark >= newest)


def _run_step(step: str, ctx: RunContext, pipeline: Pipeline | None, report: JobReport) -> None:
    started = datetime.now(timezone.utc)
    part: IngestResult | CurateResult | AuditResult
    if step == "ingest":
        report.ingest = part = run_ingest(ctx)
    elif step == "curate":
        assert pipeline is not None
        report.curate = part = run_curate(ctx, pipeline)
    else:
        try:
            report.audit = part = run_audit(ctx, publish=True)
        except AuditFailedError as exc:
            report.audit = exc.result  # its checks go to the MLflow run as audit/results.json
            record_run(
                ctx.tables,
                run_id=ctx.run_id,
                job="publish",
                status="blocked",
                started_at=started,
                message=str(exc)[:2000],
            )
            raise
    record_run(ctx.tables, run_id=ctx.run_id, status="succeeded", started_at=started, **part.ops_record())


def format_summary(report: JobReport) -> str:
    """A short human summary: documents in/out per stage, versions written, MLflow run, where to look."""
    lines = [f"dq-engine {report.job} run {report.run_id}: {report.status.upper()}"]
    if report.ingest is not None:
        ing = report.ingest
        lines.append(
            f"ingest: {ing.records_read} records read = {ing.ingested} ingested + "
            f"{ing.quarantined} quarantined"
        )
        for s in ing.sources:
            extra = f" (skipped: {s.skipped})" if s.skipped else ""
            reasons = ", ".join(f"{k}={v}" for k, v in sorted(s.quarantine_reasons.items()))
            lines.append(
                f"  {s.source:<12} read={s.records_read:<6} ingested={s.ingested:<6} "
                f"quarantined={s.quarantined}{' [' + reasons + ']' if reasons else ''}{extra}"
            )
    if report.curate is not None:
        cur = report.curate
        if cur.skipped:
            lines.append(f"curate: skipped ({cur.skipped})")
        else:
            lines.append(
                f"curate ({cur.pipeline}): bronze versions ({cur.bronze_from}, {cur.bronze_to}]: "
                f"{cur.documents_in} in = {cur.kept} kept + {cur.rejected} rejected"
            )
            if cur.recovered is not None:
                lines.append(
                    f"  (completed the interrupted curate of bronze versions ({cur.recovered[0]}, "
                    f"{cur.recovered[1]}] first; its rows already in a silver table were not written again)"
                )
            for stage, n_in, n_out in cur.stage_flow:
                dropped = cur.rejected_by.get(stage, {})
                detail = ", ".join(f"{k}={v}" for k, v in sorted(dropped.items()))
                lines.append(f"  {stage:<18} {n_in:>6} -> {n_out:<6}{'  ' + detail if detail else ''}")
    if report.audit is not None:
        aud = report.audit
        if aud.skipped:
            lines.append(f"audit: skipped ({aud.skipped})")
        else:
            verdict = "passed" if aud.passed else "FAILED"
            lines.append(
                f"audit ({aud.suite}): {len(aud.checks)} constraints, {verdict}; published={aud.published}"
            )
            lines += aud.report_lines()  # warnings (measured vs asserted) and skipped constraints
    if report.message:
        lines.append(report.message)
    if report.nothing_new:
        lines.append("nothing new: no lease taken and nothing committed (ops.runs unchanged)")
    lines.append("tables (version before -> after):")
    for name, loc in report.locations.items():
        before, after = report.versions_before.get(name), report.versions_after.get(name)
        mark = "" if before == after else "  *"
        lines.append(f"  {name:<21} {str(before):>5} -> {str(after):<5} {loc}{mark}")
    if report.mlflow_run_id:
        lines.append(f"mlflow: run {report.mlflow_run_id} at {report.mlflow_tracking_uri}")
    lines.append(
        "next: `dq-engine history silver_documents`, `dq-engine show gold_documents --version N`, "
        "`mlflow ui --backend-store-uri sqlite:///mlruns.db`"
    )
    return "\n".join(lines)


__all__ = ["JobReport", "format_summary", "nothing_new", "run_job", "session_for", "suite_path"]
