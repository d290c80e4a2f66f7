"""Ingest of the bundled sample against its ground truth: every record accounted for, by reason."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import zstandard
from conftest import REPO_ROOT, config_with_sources
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from dq_engine.core.context import RunContext
from dq_engine.ingest import run_ingest
from dq_engine.versioning import Tables

GROUND_TRUTH = json.loads((REPO_ROOT / "data" / "sample" / "ground_truth.json").read_text())


def test_every_record_is_accounted_for_per_source_and_reason(sample_run) -> None:  # type: ignore[no-untyped-def]
    _config, report = sample_run
    ingest = report.ingest
    assert ingest.records_read == GROUND_TRUTH["totals"]["records"]
    assert ingest.quarantined == GROUND_TRUTH["totals"]["quarantined"]
    assert ingest.ingested == GROUND_TRUTH["totals"]["valid"]
    assert ingest.ingested + ingest.quarantined == ingest.records_read
    for s in ingest.sources:
        truth = GROUND_TRUTH["sources"][s.source]
        assert s.records_read == truth["records"], s.source
        assert dict(s.quarantine_reasons) == truth["quarantine"], s.source


def test_tables_hold_what_the_report_says(spark: SparkSession, sample_run) -> None:  # type: ignore[no-untyped-def]
    config, report = sample_run
    tables = Tables(spark, config.lakehouse)
    bronze = tables.read("bronze_documents")
    quarantine = tables.read("bronze_quarantine")
    assert bronze.count() == report.ingest.ingested
    assert bronze.select("doc_id").distinct().count() == report.ingest.ingested
    by_reason = {
        r["reason"]: r["n"] for r in quarantine.groupBy("reason").agg(F.count("*").alias("n")).collect()
    }
    expected: Counter[str] = Counter()
    for truth in GROUND_TRUTH["sources"].values():
        expected.update(truth["quarantine"])
    assert by_reason == dict(expected)
    # quarantined payloads are kept (truncated) with their hash, so nothing is lost
    assert quarantine.where(F.col("payload").isNull() | F.col("payload_sha256").isNull()).count() == 0
    oversize = quarantine.where("reason = 'oversize'").select("payload", "payload_chars").head()
    assert oversize is not None
    assert len(oversize["payload"]) == config.ingest.quarantine_payload_chars
    assert oversize["payload_chars"] > config.ingest.max_text_chars
    bad_utf8 = quarantine.where("reason = 'invalid_utf8'").select("payload").head()
    assert bad_utf8 is not None and "\ufffd" in bad_utf8["payload"]


def test_user_ids_kept_in_meta_and_doc_ids_follow_them(spark: SparkSession, sample_run) -> None:  # type: ignore[no-untyped-def]
    config, _report = sample_run
    bronze = Tables(spark, config.lakehouse).read("bronze_documents")
    row = bronze.where("source = 'web' and meta['id'] = 'web-00001'").select("doc_id").head()
    assert row is not None
    import hashlib

    expected = hashlib.sha256(b"web\x1fid:web-00001").hexdigest()[:32]
    assert row["doc_id"] == expected


def _copy_landing(dst: Path, sources: tuple[str, ...] = ("tickets", "web")) -> None:
    for name in sources:
        shutil.copytree(REPO_ROOT / "data" / "sample" / "landing" / name, dst / name)


def _config(tmp_path: Path, landing: Path):  # type: ignore[no-untyped-def]
    return config_with_sources(
        tmp_path,
        f"{{name: tickets, path: {landing / 'tickets'}, format: text}}",
        f"{{name: web, path: {landing / 'web'}, format: jsonl, id_field: id}}",
    )


def test_rerun_is_a_noop_and_new_files_are_picked_up(spark: SparkSession, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    _copy_landing(landing)
    config = _config(tmp_path, landing)
    tables = Tables(spark, config.lakehouse)

    first = run_ingest(RunContext(spark=spark, config=config, tables=tables))
    expected_read = GROUND_TRUTH["sources"]["tickets"]["records"] + GROUND_TRUTH["sources"]["web"]["records"]
    assert first.records_read == expected_read
    version_after_first = tables.current_version("bronze_documents")
    ids_first = {r["doc_id"] for r in tables.read("bronze_documents").select("doc_id").collect()}

    second = run_ingest(RunContext(spark=spark, config=config, tables=tables))
    assert second.records_read == 0 and second.ingested == 0
    assert tables.current_version("bronze_documents") == version_after_first

    # new files land (gzip and zstd): only they are read, and their records get new ids
    with gzip.open(landing / "tickets" / "tickets-002.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write("printer on floor 3 jams every morning since the update\n\n")
    zstd_lines = "scanner on floor 2 is offline again\nvpn drops every hour for the night shift\n"
    (landing / "tickets" / "tickets-003.txt.zst").write_bytes(
        zstandard.ZstdCompressor().compress(zstd_lines.encode())
    )
    third = run_ingest(RunContext(spark=spark, config=config, tables=tables))
    assert (third.records_read, third.ingested, third.quarantined) == (4, 3, 1)
    assert third.sources[0].quarantine_reasons == {"missing_text": 1}
    bronze = tables.read("bronze_documents")
    ids_all = {r["doc_id"] for r in bronze.select("doc_id").collect()}
    assert ids_first < ids_all and len(ids_all) == len(ids_first) + 3
    assert bronze.where("text = 'scanner on floor 2 is offline again'").count() == 1


def test_doc_ids_are_deterministic_across_lakehouses(spark: SparkSession, tmp_path: Path) -> None:
    # Same landing files, two empty lakehouses: the ids must not depend on run, batch or task layout.
    landing = tmp_path / "landing"
    _copy_landing(landing, ("tickets",))
    source = f"{{name: tickets, path: {landing / 'tickets'}, format: text}}"
    ids = []
    for run in ("a", "b"):
        config = config_with_sources(tmp_path / run, source)
        tables = Tables(spark, config.lakehouse)
        run_ingest(RunContext(spark=spark, config=config, tables=tables))
        ids.append(sorted(r["doc_id"] for r in tables.read("bronze_documents").select("doc_id").collect()))
    assert ids[0] == ids[1]
    assert len(ids[0]) == len(set(ids[0])) == GROUND_TRUTH["sources"]["tickets"]["records"] - 2


@pytest.mark.parametrize(
    ("fmt", "content", "reasons"),
    [
        (
            "jsonl",
            '{"id": "a", "text": "fine text here"}\n{"id": "a", "text": "same id twice"}\n',
            {"duplicate_id": 1},
        ),
        ("jsonl", '{"id": "b", "text": "ok"} trailing\n', {"malformed_json": 1}),
        ("jsonl", '{"id": "c", "text": " \\t\\n "}\n', {"missing_text": 1}),
    ],
)
def test_bad_records_are_quarantined_with_a_reason(
    spark: SparkSession, tmp_path: Path, fmt: str, content: str, reasons: dict[str, int]
) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "in.jsonl").write_text(content, encoding="utf-8")
    config = config_with_sources(tmp_path, f"{{name: t, path: {landing}, format: {fmt}, id_field: id}}")
    tables = Tables(spark, config.lakehouse)
    result = run_ingest(RunContext(spark=spark, config=config, tables=tables))
    assert dict(result.sources[0].quarantine_reasons) == reasons
    assert result.ingested + result.quarantined == result.records_read == content.count("\n")


def test_replayed_batch_is_not_its_own_duplicate(spark: SparkSession, tmp_path: Path) -> None:
    """A micro-batch replayed after a crash between its two appends must classify as it did first."""
    from dq_engine.ingest import classify_records

    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "in.jsonl").write_text('{"id": "x1", "text": "a document about replays"}\n', encoding="utf-8")
    config = config_with_sources(tmp_path, f"{{name: t, path: {landing}, format: jsonl, id_field: id}}")
    tables = Tables(spark, config.lakehouse)
    run_ingest(RunContext(spark=spark, config=config, tables=tables))
    bronze = tables.read("bronze_documents")
    uri = bronze.head()["source_uri"]
    schema = (
        "source_uri string, record_pos string, payload string, payload_ok boolean, "
        "parsed map<string,string>, parse_error string"
    )
    record = ('{"id": "x1"}', True, {"id": "x1", "text": "a document about replays"}, None)
    source = config.ingest.sources[0]

    replay = spark.createDataFrame([(uri, None, *record)], schema)
    reasons = [r["_reason"] for r in classify_records(replay, source, config.ingest, "r2", bronze).collect()]
    assert reasons == [None]

    other_file = spark.createDataFrame([(uri + ".other", None, *record)], schema)
    reasons = [
        r["_reason"] for r in classify_records(other_file, source, config.ingest, "r3", bronze).collect()
    ]
    assert reasons == ["duplicate_id"]
