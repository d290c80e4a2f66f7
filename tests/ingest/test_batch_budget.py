"""A micro-batch takes about ``ingest.max_bytes_per_trigger`` bytes of landing files (readers.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import config_with_sources
from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.ingest import run_ingest
from dq_engine.ingest.readers import SourceReader
from dq_engine.versioning import Tables


def _landing(folder: Path, files: int, docs_per_file: int) -> Path:
    folder.mkdir()
    for i in range(files):
        lines = (f'{{"id": "f{i}-{j}", "text": "document {j} of file {i}, long enough to count"}}\n'
                 for j in range(docs_per_file))  # fmt: skip
        (folder / f"part-{i}.jsonl").write_text("".join(lines), encoding="utf-8")
    return folder


def test_files_per_trigger_follows_the_mean_file_size(spark: SparkSession, tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing", files=4, docs_per_file=20)
    size = sum(p.stat().st_size for p in landing.iterdir()) / 4
    config = config_with_sources(tmp_path, f"{{name: t, path: {landing}, format: jsonl, id_field: id}}")
    reader = SourceReader.open(spark, config.ingest.sources[0])
    assert reader.files_per_trigger(int(2.5 * size)) == 2
    assert reader.files_per_trigger(int(size / 3)) == 1  # a batch holds at least one file
    assert reader.files_per_trigger(None) is None
    # an object-store style URI takes the Spark listing instead of the local one: same answer
    remote = config.ingest.sources[0].model_copy(update={"path": landing.resolve().as_uri()})
    by_spark = SourceReader.open(spark, remote)
    assert by_spark.files_per_trigger(int(2.5 * size)) == 2
    assert by_spark.files_per_trigger(int(size / 3)) == 1
    # sized by the files the checkpoint has not seen: three small new files beside the old ones
    for i in range(3):
        (landing / f"small-{i}.jsonl").write_text('{"id": "s", "text": "tiny"}\n', encoding="utf-8")
    seen = {p.resolve().as_uri() for p in landing.glob("part-*")}
    by_new = reader.files_per_trigger(int(2.5 * size), seen)
    assert by_new is not None and by_new > 3  # all three small ones in one batch
    by_all = reader.files_per_trigger(int(2.5 * size))  # the mean of every file, large ones included
    assert by_all is not None and by_all < by_new


def test_a_byte_budget_splits_the_backlog_into_bronze_versions_and_loses_nothing(
    spark: SparkSession, tmp_path: Path
) -> None:
    landing = _landing(tmp_path / "landing", files=4, docs_per_file=20)
    size = max(p.stat().st_size for p in landing.iterdir())
    config = config_with_sources(
        tmp_path,
        f"{{name: t, path: {landing}, format: jsonl, id_field: id}}",
        extra=(f"ingest.max_bytes_per_trigger={size + 1}",),
    )
    tables = Tables(spark, config.lakehouse)
    result = run_ingest(RunContext(spark=spark, config=config, tables=tables))
    assert result.ingested == 80 and result.quarantined == 0
    appends = tables.delta("bronze_documents").history().where("operation = 'WRITE'").count()
    assert appends == 4  # one micro-batch, one bronze version, per file
    assert tables.read("bronze_documents").select("doc_id").distinct().count() == 80
