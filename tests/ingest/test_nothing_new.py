"""Sources whose landing files are all in the stream checkpoint are not streamed again (checkpoint.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import config_with_sources
from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.ingest import run_ingest
from dq_engine.ingest.checkpoint import has_uncommitted_batch, landing_files, nothing_new, recorded_files
from dq_engine.versioning import Tables


def _ingest_once(spark: SparkSession, tmp_path: Path) -> tuple[RunContext, Path, Path]:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.jsonl").write_text('{"text": "a first document about checkpoints"}\n', encoding="utf-8")
    (landing / "_SUCCESS").write_text("", encoding="utf-8")  # Spark's listing skips it, so do we
    config = config_with_sources(tmp_path, f"{{name: t, path: {landing}, format: jsonl}}")
    ctx = RunContext(spark=spark, config=config, tables=Tables(spark, config.lakehouse))
    first = run_ingest(ctx)
    assert first.ingested == 1 and first.sources[0].skipped is None
    checkpoint = Path(ctx.tables.checkpoint_root().removeprefix("file:")) / "ingest" / "t"
    return ctx, landing, checkpoint


def test_a_run_with_nothing_new_starts_no_stream_and_new_files_are_read(
    spark: SparkSession, tmp_path: Path
) -> None:
    ctx, landing, checkpoint = _ingest_once(spark, tmp_path)
    assert recorded_files(checkpoint) == {(landing / "a.jsonl").resolve().as_uri()}
    assert nothing_new(str(landing), str(checkpoint))
    active_before = len(spark.streams.active)
    second = run_ingest(RunContext(spark=spark, config=ctx.config, tables=ctx.tables))
    assert second.records_read == 0
    assert second.sources[0].skipped is not None and "no new files" in second.sources[0].skipped
    assert len(spark.streams.active) == active_before
    # a new file, also one in a partition-style folder whose name starts with "_": streamed again
    part = landing / "_day=1"
    part.mkdir()
    (part / "b.jsonl").write_text('{"text": "a second document, in a partition folder"}\n', encoding="utf-8")
    assert sorted(p.name for p in landing_files(landing)) == ["a.jsonl", "b.jsonl"]
    assert not nothing_new(str(landing), str(checkpoint))


def test_a_planned_batch_that_did_not_commit_restarts_the_stream(spark: SparkSession, tmp_path: Path) -> None:
    ctx, landing, checkpoint = _ingest_once(spark, tmp_path)
    # what a kill inside the micro-batch leaves: the files are in the source log, the commit is not
    last = max(int(p.name) for p in (checkpoint / "commits").iterdir() if p.name.isdigit())
    (checkpoint / "commits" / str(last)).unlink()
    (checkpoint / "commits" / f".{last}.crc").unlink(missing_ok=True)  # Hadoop's checksum beside it
    assert has_uncommitted_batch(checkpoint)
    assert not nothing_new(str(landing), str(checkpoint))
    again = run_ingest(RunContext(spark=spark, config=ctx.config, tables=ctx.tables))  # a new run id
    assert again.sources[0].skipped is None  # the stream ran the batch again
    assert ctx.tables.read("bronze_documents").count() == 1  # and Delta's txn ids kept it exactly-once
    assert nothing_new(str(landing), str(checkpoint))
    # killed after the source listed a new file into its log but before the batch was planned
    log_dir = checkpoint / "sources" / "0"
    last_log = max(int(p.name) for p in log_dir.iterdir() if p.name.isdigit())
    (log_dir / str(last_log + 1)).write_text("v1\n", encoding="utf-8")
    assert has_uncommitted_batch(checkpoint) and not nothing_new(str(landing), str(checkpoint))


def test_remote_or_missing_paths_always_start_the_stream(tmp_path: Path) -> None:
    assert not nothing_new("s3://bucket/landing", str(tmp_path))
    assert not nothing_new("dbfs:/landing", str(tmp_path))
    assert not nothing_new(str(tmp_path / "missing"), str(tmp_path))
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "x.jsonl").write_text("{}\n", encoding="utf-8")
    assert not nothing_new(str(tmp_path / "landing"), str(tmp_path / "no-checkpoint"))
