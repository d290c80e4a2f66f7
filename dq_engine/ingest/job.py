"""Incremental, exactly-once ingest: one checkpointed Structured Streaming query per source.

Each source's landing folder is listed by a stream with ``trigger(availableNow=True)``: every file not
yet in the source's checkpoint is processed, in as many micro-batches as ``max_files_per_trigger``
makes, and the query stops. A rerun over the same landing folder finds nothing new and writes nothing.

Inside ``foreachBatch`` the batch's files are read with the source's format, keyed once (persisted),
checked against bronze's ids by a semi-join with the batch's keys, classified, counted in one
aggregation, and written as two idempotent Delta appends (bronze and quarantine) keyed by the
checkpoint's identity and the batch id, so a micro-batch replayed after a crash is skipped by Delta
rather than appended twice.

A file that cannot be read at all (a truncated ``.gz``/``.zst``, a Parquet file whose text column has
another type, random bytes named ``.parquet``) would fail the whole micro-batch. When the first read of a
batch fails with such a file error, the batch's files are probed in halves until each unreadable file is
isolated; each becomes one quarantined record with a file-level reason (``corrupt_archive``,
``schema_mismatch``, ``unreadable_file``) and the other files are ingested as usual. An error that is not
a file error (out of memory, a Delta conflict) still fails the job.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from dq_engine.config.models import SourceSettings
from dq_engine.core.context import RunContext
from dq_engine.core.faults import pause_point
from dq_engine.ingest.checkpoint import last_planned_batch, nothing_new, seen_files
from dq_engine.ingest.limits import oversize_files, skipped_lines
from dq_engine.ingest.readers import (
    LINE_FRAGMENT,
    FileFailure,
    SourceReader,
    file_failure,
    is_file_read_error,
    named_file,
)
from dq_engine.ingest.records import (
    BRONZE_SCHEMA,
    PAYLOAD_BYTES,
    QUARANTINE_SCHEMA,
    REASON,
    bronze_rows,
    classify_keyed,
    classify_records,
    ids_seen_before,
    keyed_records,
    quarantine_rows,
)
from dq_engine.spark.jobs import described
from dq_engine.versioning.tables import Tables

log = logging.getLogger(__name__)

#: Commits of a table looked at to tell whether a micro-batch's append was committed by this run. Many
#: sources' streams append concurrently, so this must cover every commit made while one batch wrote.
HISTORY_SCAN = 200


class IngestAccountingError(RuntimeError):
    """Records read != records written to bronze + quarantine. Never expected; fails the job."""


@dataclass
class SourceIngestResult:
    """What one source's stream did in this run."""

    source: str
    batches: int = 0
    records_read: int = 0
    ingested: int = 0
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None
    files: int = 0
    #: files set aside whole (unreadable, or a whole-file record over ``max_file_bytes``)
    unreadable_files: int = 0
    #: line-format files with lines over ``max_line_bytes`` (the rest of each file is ingested)
    files_with_long_lines: int = 0
    #: rows of micro-batches replayed after a crash whose append an earlier attempt had already
    #: committed (Delta skipped it: same txnAppId/txnVersion); counted above, not written again
    replayed_ingested: int = 0
    replayed_quarantined: int = 0


@dataclass
class IngestResult:
    """All sources of one ingest run, plus the bronze/quarantine versions it left behind."""

    run_id: str
    sources: list[SourceIngestResult]
    bronze_version: int | None = None
    quarantine_version: int | None = None

    @property
    def records_read(self) -> int:
        return sum(s.records_read for s in self.sources)

    @property
    def ingested(self) -> int:
        return sum(s.ingested for s in self.sources)

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self.sources)

    def ops_record(self) -> dict[str, Any]:
        """This step's ``ops.runs`` fields (see :func:`dq_engine.versioning.runs.record_run`)."""
        return {
            "job": "ingest",
            "output_versions": {
                "bronze_documents": self.bronze_version,
                "bronze_quarantine": self.quarantine_version,
            },
            "counts": {
                "records_read": self.records_read,
                "ingested": self.ingested,
                "quarantined": self.quarantined,
            },
        }

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {
            "ingest.records_read": self.records_read,
            "ingest.ingested": self.ingested,
            "ingest.quarantined": self.quarantined,
        }
        reasons: Counter[str] = Counter()
        for s in self.sources:
            out[f"ingest.{s.source}.records_read"] = s.records_read
            out[f"ingest.{s.source}.ingested"] = s.ingested
            out[f"ingest.{s.source}.quarantined"] = s.quarantined
            out[f"ingest.{s.source}.files"] = s.files
            out[f"ingest.{s.source}.unreadable_files"] = s.unreadable_files
            out[f"ingest.{s.source}.files_with_long_lines"] = s.files_with_long_lines
            reasons.update(s.quarantine_reasons)
        for reason, n in reasons.items():
            out[f"ingest.quarantined.{reason}"] = n
        return out


def _checkpoint_dir(ctx: RunContext, source: SourceSettings) -> str:
    return f"{ctx.tables.checkpoint_root()}/ingest/{source.name}"


def _writer_identity(checkpoint: str) -> str:
    """A per-checkpoint id for Delta's idempotent-write options.

    Batch ids restart at 0 when a checkpoint is deleted; keying the txn app id on a token stored inside
    the checkpoint keeps a fresh checkpoint from being mistaken for a replay (which Delta would skip).
    """
    if "://" in checkpoint:
        return f"dq-engine-ingest:{checkpoint}"
    token_file = Path(checkpoint) / "dq_engine_writer_id"
    if not token_file.exists():
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(uuid.uuid4().hex, encoding="utf-8")
    return f"dq-engine-ingest:{token_file.read_text(encoding='utf-8').strip()}"


def _landing_has_files(source: SourceSettings) -> bool:
    if "://" in source.path or source.path.startswith("dbfs:"):
        return True
    path = Path(source.path)
    return path.is_dir() and any(p.is_file() and not p.name.startswith((".", "_")) for p in path.rglob("*"))


def isolate_unreadable_files(reader: SourceReader, files: list[str]) -> dict[str, FileFailure]:
    """Find the files of ``files`` (which failed to read together) that cannot be read, by bisection.

    A group is probed by reading all its raw records (a ``noop`` write evaluates every column). A group
    that fails with a file error is split until the failing file is alone; a file that fails alone is
    unreadable. When Spark's error names the file, that file is set aside without splitting. ``k`` bad
    files among ``n`` cost about ``2 k log2 n`` probes. An error that is not a file error is raised.
    """
    failures: dict[str, FileFailure] = {}
    middle = len(files) // 2
    # The whole list is known to fail: start with its halves.
    pending = [files[:middle], files[middle:]] if len(files) > 1 else [files]
    while pending:
        group = pending.pop()
        log.debug("probing %d file(s) for unreadable ones", len(group))
        try:
            reader.read_files(group).write.format("noop").mode("overwrite").save()
        except Exception as exc:
            if not is_file_read_error(exc):
                raise
            named = named_file(exc, group)
            if named is not None or len(group) == 1:
                bad = named or group[0]
                failures[bad] = file_failure(bad, exc)
                rest = [f for f in group if f != bad]
                if rest:
                    pending.append(rest)
            else:
                middle = len(group) // 2
                pending += [group[:middle], group[middle:]]
    return failures


def skip_reason(ctx: RunContext, source: SourceSettings) -> str | None:
    """Why ``source``'s stream need not start this run (None: start it)."""
    if not _landing_has_files(source):
        return f"no files under {source.path}"
    if nothing_new(source.path, _checkpoint_dir(ctx, source)):
        return f"no new files under {source.path}: every file is in the stream checkpoint"
    return None


def skipped_ingest(ctx: RunContext, reasons: list[str]) -> IngestResult:
    """The result of an ingest whose every source has a :func:`skip_reason` (one per source, in order)."""
    sources = ctx.config.ingest.sources
    return IngestResult(
        run_id=ctx.run_id,
        sources=[start_source(ctx, s, None, r)[0] for s, r in zip(sources, reasons, strict=True)],
        bronze_version=ctx.tables.current_version("bronze_documents"),
        quarantine_version=ctx.tables.current_version("bronze_quarantine"),
    )


def start_source(
    ctx: RunContext, source: SourceSettings, reader: SourceReader | None, skipped: str | None = None
) -> tuple[SourceIngestResult, StreamingQuery | None]:
    """Start one source's availableNow stream; its result fills in as micro-batches complete.

    ``reader`` is the opened source (:meth:`SourceReader.open`), None when the stream need not start
    (``skipped`` says why: no files, or none that the checkpoint has not seen): the source is then
    reported as skipped.
    """
    result = SourceIngestResult(source=source.name)
    if reader is None:
        result.skipped = skipped or f"no files under {source.path}"
        if skipped is None or skipped.startswith("no files"):
            log.warning("source %s: %s", source.name, result.skipped)
        else:
            log.info("source %s: %s", source.name, result.skipped)
        return result, None
    checkpoint = _checkpoint_dir(ctx, source)
    app_id = _writer_identity(checkpoint)
    # Batches up to this id may be replays of batches a killed run committed; later ones are new.
    planned_before = last_planned_batch(checkpoint)
    tables = ctx.tables
    settings = ctx.config.ingest

    def classify_and_count(
        raw: DataFrame, existing: DataFrame | None, batch_uris: list[str]
    ) -> tuple[DataFrame, list[DataFrame], Counter[str | None], dict[str, tuple[int, int]], set[str]]:
        """The classified batch, the persisted frames it is computed from (to release after the
        writes), its count per reason, per file (records, bytes), and the files in which the line
        reader returned a piece of a line over the limit.

        The keyed records (read, parsed, numbered: the expensive part) are persisted, and so are the
        ids bronze already holds (normally none), materialized first so the planner knows they are
        small and broadcasts them into the batch. The classification on top is a projection, cheap to
        repeat for the count and each append.
        """
        fragment_files: set[str] = set()
        keyed = keyed_records(raw, source, settings).persist(StorageLevel.MEMORY_AND_DISK)
        cached = [keyed]
        try:
            seen = None
            if existing is not None and source.id_field:
                seen = ids_seen_before(keyed, source, existing, batch_uris)
                seen = seen.persist(StorageLevel.MEMORY_AND_DISK)
                cached.append(seen)
                seen.count()
            classified = classify_keyed(keyed, source, settings, ctx.run_id, seen)
            # One row per (file, reason): the size of the listing, never of the documents.
            per_file = (
                classified.groupBy(F.col("source_uri").alias("uri"), F.col(REASON).alias("reason"))
                .agg(F.count("*").alias("n"), F.sum(PAYLOAD_BYTES).alias("bytes"))
                .collect()
            )
        except BaseException:
            for frame in cached:
                frame.unpersist()
            raise
        counts: Counter[str | None] = Counter()
        read_per_file: dict[str, tuple[int, int]] = {}
        for row in per_file:
            if row["reason"] == LINE_FRAGMENT:
                # Part of a skipped line: not a record, and its bytes count as unread.
                fragment_files.add(row["uri"])
                continue
            counts[row["reason"]] += int(row["n"])
            records, held = read_per_file.get(row["uri"], (0, 0))
            read_per_file[row["uri"]] = (records + int(row["n"]), held + int(row["bytes"] or 0))
        return classified, cached, counts, read_per_file, fragment_files

    def process(batch: DataFrame, batch_id: int) -> None:
        # The new files' paths and sizes (never their content). A streamed binaryFile batch can list a
        # file twice.
        lengths = {str(r["path"]): int(r["length"] or 0) for r in batch.collect()}
        files = sorted(lengths)
        if not files:
            return
        log.debug("source %s batch %d: files %s", source.name, batch_id, files)
        # Records name their file by URI (a%20b), the listing by path (a b).
        uris = {path: reader.file_uri(path) for path in files}
        # Pinned to the version before this batch's own append: the persisted batch may be recomputed
        # for the second write, and a moving read would then see the batch's own ids as existing.
        bronze_version = tables.current_version("bronze_documents")
        existing = None if bronze_version is None else tables.read("bronze_documents", bronze_version)
        # A whole-file record too large to hold is set aside before anything is read.
        failures: dict[str, FileFailure] = (
            oversize_files(lengths, settings.max_file_bytes) if reader.whole_file else {}
        )
        # Normally one pass. A file that cannot be read fails the pass: when Spark names the file it is
        # set aside at once, else the batch's files are probed to find it; then the pass is repeated.
        for _attempt in range(len(files) + 1):
            readable = [f for f in files if f not in failures]
            raw = reader.read_files(readable) if readable else None
            if failures:
                unreadable = reader.set_aside_records(failures)
                raw = unreadable if raw is None else raw.unionByName(unreadable)
            assert raw is not None
            try:
                with described(batch.sparkSession, f"dq-engine ingest {source.name}: batch {batch_id}"):
                    classified, cached, counts, read_per_file, fragment_files = classify_and_count(
                        raw, existing, list(uris.values())
                    )
                break
            except Exception as exc:
                if not is_file_read_error(exc):
                    raise
                named = named_file(exc, readable)
                if named is not None:
                    failures[named] = file_failure(named, exc)
                    continue
                found = isolate_unreadable_files(reader, readable)
                if not found:
                    raise  # every file reads on its own: not a file problem after all
                failures.update(found)
        else:  # pragma: no cover - each retry sets at least one more file aside
            raise RuntimeError(f"source {source.name}: batch {batch_id} did not settle")
        # Lines over the size limit were skipped by the reader: each such file gets one quarantine
        # record (built on the driver from sizes alone), so read = ingested + quarantined still holds.
        skipped: dict[str, FileFailure] = {}
        if reader.line_based:
            skipped = skipped_lines(
                {path: lengths[path] for path in readable},
                {path: read_per_file.get(uris[path], (0, 0)) for path in readable},
                settings.max_line_bytes,
                fragments={path for path in readable if uris[path] in fragment_files},
            )
        written = classified
        if skipped:
            written = classified.unionByName(
                classify_records(reader.set_aside_records(skipped), source, settings, ctx.run_id)
            )
            counts.update(failure.reason for failure in skipped.values())
        failures.update(skipped)
        for path, failure in failures.items():
            # The path and the error class only: the diagnostic is in bronze.quarantine's payload.
            log.warning(
                "source %s: file %s set aside as %s (%s)",
                source.name,
                path,
                failure.reason,
                failure.error_class,
            )
        read = sum(counts.values())
        ingested = counts.get(None, 0)
        quarantined = read - ingested
        try:
            metadata = {"run_id": ctx.run_id, "job": "ingest", "source": source.name, "batch_id": batch_id}
            pause_point("ingest.before_bronze")  # inside the stream's micro-batch, nothing committed
            # The counts are those of the rows each append writes, so an empty append, which would
            # still cost a Delta commit and a version, is left out.
            if ingested:
                tables.append(
                    bronze_rows(written),
                    "bronze_documents",
                    txn_app_id=app_id,
                    txn_version=batch_id,
                    user_metadata=metadata,
                )
            pause_point("ingest.between_bronze_and_quarantine")
            if quarantined:
                tables.append(
                    quarantine_rows(written),
                    "bronze_quarantine",
                    txn_app_id=app_id,
                    txn_version=batch_id,
                    user_metadata=metadata,
                )
        finally:
            for frame in cached:
                frame.unpersist()
        # Only a batch planned before this run can have been committed by another attempt; asking the
        # table's history costs a Spark job per table, so new batches are not asked.
        may_be_replay = planned_before is None or batch_id <= planned_before
        if (
            may_be_replay
            and ingested
            and not _committed_here(tables, "bronze_documents", ctx.run_id, source.name, batch_id)
        ):
            result.replayed_ingested += ingested
        if (
            may_be_replay
            and quarantined
            and not _committed_here(tables, "bronze_quarantine", ctx.run_id, source.name, batch_id)
        ):
            result.replayed_quarantined += quarantined
        result.batches += 1
        result.files += len(files)
        result.unreadable_files += len(failures) - len(skipped)
        result.files_with_long_lines += len(skipped)
        result.records_read += read
        result.ingested += ingested
        result.quarantined += quarantined
        for reason, n in counts.items():
            if reason is not None:
                result.quarantine_reasons[reason] = result.quarantine_reasons.get(reason, 0) + n
        log.info(
            "source %s batch %d: files=%d read=%d ingested=%d quarantined=%d",
            source.name,
            batch_id,
            len(files),
            read,
            ingested,
            quarantined,
        )

    query = (
        reader.file_stream(settings.max_bytes_per_trigger, seen_files(checkpoint))
        .writeStream.queryName(f"dq_ingest_{source.name}_{ctx.run_id[-8:]}")
        .foreachBatch(process)
        .option("checkpointLocation", checkpoint)
        .trigger(availableNow=True)
        .start()
    )
    return result, query


def run_ingest(ctx: RunContext) -> IngestResult:
    """Ingest every configured source; bronze + quarantine = records read, per source.

    The sources' streams run concurrently (each is a distributed query; running them side by side
    overlaps their driver-side latency). Their appends to the same tables are blind appends, which
    Delta commits concurrently without conflicts. If a stream fails the others still finish, then the
    first error is raised.
    """
    tables = ctx.tables
    tables.ensure("bronze_documents", BRONZE_SCHEMA)
    tables.ensure("bronze_quarantine", QUARANTINE_SCHEMA)
    before = {name: tables.current_version(name) for name in ("bronze_documents", "bronze_quarantine")}
    # Open every source first (schema inference, option checks), so a misconfigured source fails the
    # job before any stream has written anything.
    sources = ctx.config.ingest.sources
    max_line = ctx.config.ingest.max_line_bytes
    # A source whose every landing file is already in its checkpoint is neither opened nor streamed.
    reasons = [skip_reason(ctx, s) for s in sources]
    readers = [
        None if reason else SourceReader.open(ctx.spark, s, max_line_bytes=max_line)
        for s, reason in zip(sources, reasons, strict=True)
    ]
    started: list[tuple[SourceIngestResult, StreamingQuery | None]] = []
    try:
        for source, reader, reason in zip(sources, readers, reasons, strict=True):
            started.append(start_source(ctx, source, reader, reason))
    except Exception:
        for _result, query in started:
            if query is not None:
                query.stop()
        raise
    errors: list[BaseException] = []
    for _result, query in started:
        if query is None:
            continue
        try:
            query.awaitTermination()
        except Exception as exc:  # noqa: BLE001 - collected, re-raised below
            errors.append(exc)
    if errors:
        raise errors[0]
    result = IngestResult(
        run_id=ctx.run_id,
        sources=[result for result, _query in started],
        bronze_version=tables.current_version("bronze_documents"),
        quarantine_version=tables.current_version("bronze_quarantine"),
    )
    verify_written(ctx, result, before)
    return result


def _committed_here(tables: Tables, table: str, run_id: str, source: str, batch_id: int) -> bool:
    """Whether this run's append of ``source``'s micro-batch ``batch_id`` made a commit in ``table``.

    False when Delta skipped it because an earlier, killed attempt had committed the same batch.
    """
    recent = tables.history(table, limit=HISTORY_SCAN).where(
        (F.col("run_id") == run_id)
        & (F.get_json_object("userMetadata", "$.source") == source)
        & (F.get_json_object("userMetadata", "$.batch_id").cast("long") == batch_id)
    )
    return recent.limit(1).count() > 0


def verify_written(ctx: RunContext, result: IngestResult, before: dict[str, int | None]) -> None:
    """Check the tables hold, per source, exactly the rows the batches counted.

    Reads only what this run appended (change feed between the versions before and after), one
    aggregation per table. It catches what the per-batch counts cannot: a write that dropped or
    duplicated rows (a recomputed batch that classified differently, a skipped idempotent write).
    """
    after = {"bronze_documents": result.bronze_version, "bronze_quarantine": result.quarantine_version}
    # A replayed micro-batch's rows were committed by the attempt that was killed, not by this run.
    expected = {
        "bronze_documents": {
            s.source: s.ingested - s.replayed_ingested
            for s in result.sources
            if s.ingested - s.replayed_ingested
        },
        "bronze_quarantine": {
            s.source: s.quarantined - s.replayed_quarantined
            for s in result.sources
            if s.quarantined - s.replayed_quarantined
        },
    }
    for table, want in expected.items():
        version = after[table]
        if version is None or version == before[table]:
            got: dict[str, int] = {}
        else:
            appended = ctx.tables.read_appended(table, before[table], version)
            rows = appended.groupBy("source").agg(F.count("*").alias("n")).collect()
            got = {r["source"]: int(r["n"]) for r in rows}
        if got != want:
            raise IngestAccountingError(
                f"{table}: run {ctx.run_id} counted {want} rows per source but the table received {got}"
            )


__all__ = [
    "IngestAccountingError",
    "IngestResult",
    "SourceIngestResult",
    "isolate_unreadable_files",
    "run_ingest",
    "start_source",
]
