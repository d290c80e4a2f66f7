"""Ingest of a hostile landing folder: every record lands in bronze unchanged or in quarantine with a reason.

One ingest run (:func:`run_ingest`, what ``dq-engine ingest`` runs) reads six sources built in
``tmp_path``: JSON lines, line text, whole-file JSON, CSV, Parquet, and compressed JSON lines with
truncated ``.gz`` / ``.zst`` archives. The tests inspect what that one run left in bronze, quarantine
and its report.

Documented normalizations (everything else reaches bronze byte for byte): a UTF-8 byte-order mark at
the start of a file is dropped; line-based formats split on LF, CR and CRLF and drop the line break; the
CSV parser turns a line break inside a quoted field into LF.

Not covered here: multi-GB files (too slow for this suite). A line or whole-file record is held in one
JVM string, so a single record beyond ~2 GB cannot be read; ``ingest.max_text_chars`` quarantines long
texts as ``oversize`` long before that.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import zstandard
from conftest import config_with_sources
from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.ingest import REASONS, run_ingest
from dq_engine.runner import JobReport, format_summary
from dq_engine.versioning import Tables

BOM = b"\xef\xbb\xbf"

# Documents in many scripts; each must reach bronze byte for byte.
SCRIPTS = {
    "w-cjk": "中文文本，日本語のテキスト、한국어 텍스트 — mixed CJK",
    "w-arabic": "نص عربي مع التشكيل: مَرْحَبًا بِكُمْ \u200f(RTL mark)",
    "w-emoji": "family 👩\u200d👩\u200d👧\u200d👦 flag 🇺🇳 skin tone 👍🏽 test tube 🧪",
    "w-combining": "combining e\u0301 a\u0308 Z\u0335\u0321\u0358 and \u01c5 titlecase digraph",
    "w-escaped-nul": "before\u0000after an escaped NUL",
    "w-bracket": "[citation needed] a text that starts with a bracket",
    "w-digits": "42",
    "w-true": "true",
    "w-brace": "{not json} braces in plain text",
    "w-escapes": 'quote " backslash \\ tab \t newline \n done',
}


RANDOM_BYTES = random.Random(7).randbytes(4096)
# Lines as Hadoop's line reader splits them (LF, CR or CRLF; a final unterminated line counts).
_pieces = re.split(rb"\r\n|\r|\n", RANDOM_BYTES)
RANDOM_LINES = len(_pieces) - (1 if _pieces[-1] == b"" else 0)


@dataclass
class Expected:
    """What one source must produce: ingested texts by key, quarantine reasons, files."""

    ingested: dict[str, str]
    quarantined: Counter[str]
    files: int  # files read; zero-byte files hold no records and are not counted
    unreadable: dict[str, str] | None = None  # file name -> file-level reason


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def _build_web(landing: Path) -> Expected:
    d = landing / "web"
    d.mkdir()
    lines = [json.dumps({"id": k, "text": v}, ensure_ascii=False) for k, v in SCRIPTS.items()]
    # UTF-8 byte-order mark and CRLF line endings
    (d / "scripts.jsonl").write_bytes(BOM + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    deep_meta = b'{"id": "b-deep", "text": "deep", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    deep_text = b'{"id": "b-deep2", "text": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}"
    bad = [
        b'{"id": "b-ok", "text": "a fine record among bad ones"}',
        b'{"id": "b-trunc", "text": "this line was cut',
        b"not json at all",
        b'{"id": "b-garbage", "text": "trailing garbage"} xyz',
        b'[{"id": "b-array", "text": "an array, not an object"}]',
        b'{"id": "b-null", "text": null}',
        b'{"id": "b-empty", "text": ""}',
        b'{"id": "b-blank", "text": " \\t\\n "}',
        b'{"id": "b-absent", "body": "no text field"}',
        b'{"id": "b-num", "text": 42}',
        b'{"id": "b-float", "text": -4.5e3}',
        b'{"id": "b-bool", "text": true}',
        b'{"id": "b-list", "text": ["a", "b"]}',
        b'{"id": "b-obj", "text": {"nested": "object"}}',
        b'{"id": "b-rawnul", "text": "raw \x00 NUL byte"}',
        b'{"id": "b-utf8", "text": "invalid \xff\xfe bytes \xc3\x28"}',
        deep_meta,
        deep_text,
    ]
    (d / "bad.jsonl").write_bytes(b"\n".join(bad) + b"\n")
    (d / "dups-a.jsonl").write_bytes(
        _jsonl(
            [
                {"id": "d-1", "text": "first copy of d-1"},
                {"id": "d-1", "text": "second copy of d-1, same file"},
                {"id": "d-2", "text": "d-2 from file a"},
            ]
        )
    )
    (d / "dups-b.jsonl").write_bytes(_jsonl([{"id": "d-2", "text": "d-2 from file b"}]))
    (d / "random.jsonl").write_bytes(RANDOM_BYTES)
    (d / "empty.jsonl").write_bytes(b"")
    (d / "odd name [1] {a,b}.jsonl").write_bytes(
        _jsonl([{"id": "w-odd", "text": "from a file with glob chars"}])
    )
    ingested = {
        **SCRIPTS,
        "b-ok": "a fine record among bad ones",
        "d-2": "d-2 from file a",
        "w-odd": "from a file with glob chars",
    }
    quarantined = Counter(
        malformed_json=7,  # trunc, not json, garbage, array, raw NUL, two deep ones
        missing_text=4,
        text_not_string=5,
        invalid_utf8=1,
        duplicate_id=2,  # d-1 twice in one file, d-2 in two files
    )
    # d-1: one of its two copies is ingested (checked separately)
    return Expected(ingested=ingested, quarantined=quarantined, files=6)


NOTES = [
    "plain line one",
    "中文 and العربية and 👍🏽 on one line",
    "raw NUL \x00 inside a text line",
    "e\u0301\u0301 stacked combining marks",
]


def _build_notes(landing: Path) -> Expected:
    d = landing / "notes"
    d.mkdir()
    body = b"\r\n".join(
        [*(n.encode("utf-8") for n in NOTES), b"   ", b"bad \xc3\x28 utf8 line", b"last line, no newline"]
    )
    (d / "notes.txt").write_bytes(BOM + body)
    ingested = {t: t for t in [*NOTES, "last line, no newline"]}
    return Expected(ingested=ingested, quarantined=Counter(missing_text=1, invalid_utf8=1), files=1)


def _build_exports(landing: Path) -> Expected:
    d = landing / "exports"
    d.mkdir()
    elements = [
        {"doc": "e1", "content": "first élément"},
        {"doc": "e2", "content": 7},
        "not an object",
        {"doc": "e3", "content": None},
        {"doc": "e4", "content": "[bracketed] string"},
    ]
    (d / "export-bom.json").write_bytes(BOM + json.dumps(elements, ensure_ascii=False).encode("utf-8"))
    (d / "export-single.json").write_text(json.dumps({"doc": "e5", "content": "a single-object file"}))
    (d / "export-deep.json").write_bytes(b"[" * 5000 + b"]" * 5000)
    (d / "export-cut.json").write_bytes(b'[{"doc": "e6", "content": "cut off')
    ingested = {"e1": "first élément", "e4": "[bracketed] string", "e5": "a single-object file"}
    quarantined = Counter(text_not_string=1, malformed_json=3, missing_text=1)
    return Expected(ingested=ingested, quarantined=quarantined, files=4)


def _build_forum(landing: Path) -> Expected:
    d = landing / "forum"
    d.mkdir()
    rows = [
        b"post_id,author,body",
        b'f1,alice,"multi\nline body with ""quotes"", and commas"',
        'f2,bob,"中文 body, العربية"'.encode(),
        b"f3,carol,plain body",
        b'f4,dave,""',
        b"f5,erin,invalid \xff utf8 here",
        b"f6,frank,one field,too many",
        b'f7,grace,"quoted\r\nCRLF inside"',
    ]
    # The biggest CSV file is the one Spark takes the header from.
    (d / "forum.csv").write_bytes(BOM + b"\r\n".join(rows) + b"\r\n")
    (d / "swapped.csv").write_bytes(b"body,post_id,author\nswapped columns,s1,zed\n")
    ingested = {
        "f1": 'multi\nline body with "quotes", and commas',
        "f2": "中文 body, العربية",
        "f3": "plain body",
        # documented normalization: the CSV parser turns a line break inside quotes into "\n"
        "f7": "quoted\nCRLF inside",
    }
    quarantined = Counter(missing_text=1, invalid_utf8=1, malformed_csv=1, schema_mismatch=1)
    return Expected(
        ingested=ingested, quarantined=quarantined, files=2, unreadable={"swapped.csv": "schema_mismatch"}
    )


def _build_tables(landing: Path) -> Expected:
    d = landing / "tables"
    d.mkdir()
    pd.DataFrame({"id": ["p1", "p2"], "text": ["parquet text 中文", "second\x00row"]}).to_parquet(
        d / "a-good.parquet"
    )
    pd.DataFrame({"id": ["p3"], "text": [42]}).to_parquet(d / "b-int-text.parquet")
    pd.DataFrame({"id": ["p4"], "body": ["no text column"]}).to_parquet(d / "c-no-text.parquet")
    (d / "d-random.parquet").write_bytes(random.Random(11).randbytes(2048))
    ingested = {"p1": "parquet text 中文", "p2": "second\x00row"}
    quarantined = Counter(schema_mismatch=1, missing_text=1, unreadable_file=1)
    return Expected(
        ingested=ingested,
        quarantined=quarantined,
        files=4,
        unreadable={"b-int-text.parquet": "schema_mismatch", "d-random.parquet": "unreadable_file"},
    )


def _build_archives(landing: Path) -> Expected:
    d = landing / "archives"
    d.mkdir()
    many = _jsonl([{"id": f"t-{i}", "text": f"record {i} of a long file"} for i in range(3000)])
    (d / "good.jsonl.gz").write_bytes(gzip.compress(_jsonl([{"id": "a-1", "text": "gzip ok"}])))
    (d / "good.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(_jsonl([{"id": "a-2", "text": "zstd ok ✓"}]))
    )
    gz = gzip.compress(many)
    (d / "truncated.jsonl.gz").write_bytes(gz[: len(gz) // 2])
    zst = zstandard.ZstdCompressor().compress(many)
    (d / "truncated.jsonl.zst").write_bytes(zst[: len(zst) // 2])
    (d / "empty.jsonl.gz").write_bytes(b"")
    return Expected(
        ingested={"a-1": "gzip ok", "a-2": "zstd ok ✓"},
        quarantined=Counter(corrupt_archive=2),
        files=4,
        unreadable={"truncated.jsonl.gz": "corrupt_archive", "truncated.jsonl.zst": "corrupt_archive"},
    )


SOURCES = {
    "web": ("jsonl", "text", "id", _build_web),
    "notes": ("text", "text", None, _build_notes),
    "exports": ("json", "content", "doc", _build_exports),
    "forum": ("csv", "body", "post_id", _build_forum),
    "tables": ("parquet", "text", "id", _build_tables),
    "archives": ("jsonl", "text", "id", _build_archives),
}


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass
class HostileRun:
    report: JobReport
    expected: dict[str, Expected]
    bronze: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    log_messages: list[str]
    seconds: float


@pytest.fixture(scope="module")
def hostile(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    import time

    root = tmp_path_factory.mktemp("hostile")
    landing = root / "landing"
    landing.mkdir()
    expected: dict[str, Expected] = {}
    sources = []
    for name, (fmt, text_field, id_field, build) in SOURCES.items():
        expected[name] = build(landing)
        spec = f"{{name: {name}, path: '{landing / name}', format: {fmt}, text_field: {text_field}"
        sources.append(spec + (f", id_field: {id_field}}}" if id_field else "}"))
    config = config_with_sources(root, *sources)
    capture = _Capture()
    logger = logging.getLogger("dq_engine")
    old_level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    started = time.monotonic()
    try:
        tables = Tables(spark, config.lakehouse)
        result = run_ingest(RunContext(spark=spark, config=config, tables=tables))
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old_level)
    seconds = time.monotonic() - started
    print(f"hostile ingest run: {seconds:.1f}s")
    # the report the CLI prints for an ingest job, from this run's result
    report = JobReport(run_id=result.run_id, job="ingest", status="succeeded", ingest=result)
    bronze = [r.asDict() for r in tables.read("bronze_documents").collect()]
    quarantine = [r.asDict() for r in tables.read("bronze_quarantine").collect()]
    return HostileRun(report, expected, bronze, quarantine, capture.messages, seconds)


def _key(row: dict[str, Any], source: str) -> str:
    id_field = SOURCES[source][2]
    return row["text"] if id_field is None else row["meta"][id_field]


def test_run_succeeds_and_every_record_is_accounted_for(hostile: HostileRun) -> None:
    report = hostile.report  # the fixture's run returned: no source crashed the job
    assert report.ingest is not None
    by_source = {s.source: s for s in report.ingest.sources}
    assert set(by_source) == set(SOURCES)
    for name, want in hostile.expected.items():
        got = by_source[name]
        assert got.records_read == got.ingested + got.quarantined, name
        # ... and the tables hold exactly those rows, per source
        assert sum(1 for b in hostile.bronze if b["source"] == name) == got.ingested, name
        assert sum(1 for q in hostile.quarantine if q["source"] == name) == got.quarantined, name
        assert got.files == want.files, name
        assert got.unreadable_files == len(want.unreadable or {}), name
        reasons = Counter(got.quarantine_reasons)
        if name == "web":
            # random.jsonl: its lines are invalid UTF-8 or not JSON; how many depends on the bytes
            random_rows = [q for q in hostile.quarantine if q["source_uri"].endswith("/random.jsonl")]
            assert len(random_rows) == RANDOM_LINES
            assert {q["reason"] for q in random_rows} <= {"invalid_utf8", "malformed_json"}
            reasons.subtract(Counter(q["reason"] for q in random_rows))
            reasons = +reasons
        assert reasons == want.quarantined, name
        # the d-1 copy that wins is ingested besides the expected texts
        extra = 1 if name == "web" else 0
        assert got.ingested == len(want.ingested) + extra, name
        # records read, counted from the landing side: valid ones, bad ones, random-bytes lines
        expected_read = len(want.ingested) + extra + want.quarantined.total()
        assert got.records_read == expected_read + (RANDOM_LINES if name == "web" else 0), name
    # every reason used is a documented one
    assert {q["reason"] for q in hostile.quarantine} <= set(REASONS)
    # the tables hold what the report counted (ingest also verifies this through the change feed)
    assert len(hostile.bronze) == report.ingest.ingested
    assert len(hostile.quarantine) == report.ingest.quarantined


def test_valid_records_land_in_bronze_byte_identical(hostile: HostileRun) -> None:
    for name, want in hostile.expected.items():
        rows = [r for r in hostile.bronze if r["source"] == name]
        got = {_key(r, name): r["text"] for r in rows}
        for key, text in want.ingested.items():
            assert key in got, (name, key)
            assert got[key].encode("utf-8") == text.encode("utf-8"), (name, key)
    web = {_key(r, "web"): r["text"] for r in hostile.bronze if r["source"] == "web"}
    assert web["d-1"] in ("first copy of d-1", "second copy of d-1, same file")
    assert web["d-2"] == "d-2 from file a"
    # nothing from random bytes or truncated archives reached bronze
    uris = {r["source_uri"].rsplit("/", 1)[-1] for r in hostile.bronze}
    assert not uris & {"random.jsonl", "truncated.jsonl.gz", "truncated.jsonl.zst", "swapped.csv"}
    assert not uris & {"b-int-text.parquet", "d-random.parquet"}
    # zero-byte files hold no records: nothing of them anywhere, and no failure
    everywhere = uris | {q["source_uri"].rsplit("/", 1)[-1] for q in hostile.quarantine}
    assert not everywhere & {"empty.jsonl", "empty.jsonl.gz"}


def test_bad_records_are_quarantined_with_their_reason(hostile: HostileRun) -> None:
    by_id = {
        (q["source"], q["record_id"]): q["reason"] for q in hostile.quarantine if q["record_id"] is not None
    }
    web = {
        "b-trunc": None,  # no id: the line does not parse
        "b-null": "missing_text",
        "b-empty": "missing_text",
        "b-blank": "missing_text",
        "b-absent": "missing_text",
        "b-num": "text_not_string",
        "b-float": "text_not_string",
        "b-bool": "text_not_string",
        "b-list": "text_not_string",
        "b-obj": "text_not_string",
        "b-utf8": "invalid_utf8",
    }
    for record_id, reason in web.items():
        if reason is not None:
            assert by_id[("web", record_id)] == reason, record_id
    assert by_id[("exports", "e2")] == "text_not_string"
    assert by_id[("exports", "e3")] == "missing_text"
    assert by_id[("forum", "f5")] == "invalid_utf8"
    assert by_id[("tables", "p4")] == "missing_text"
    dups = [q for q in hostile.quarantine if q["reason"] == "duplicate_id"]
    assert sorted(q["record_id"] for q in dups) == ["d-1", "d-2"]
    assert [q["source_uri"].rsplit("/", 1)[-1] for q in dups if q["record_id"] == "d-2"] == ["dups-b.jsonl"]
    # the deeply nested lines are quarantined, not crashed on, and their payload is kept (truncated)
    deep = [q for q in hostile.quarantine if q["source"] == "web" and q["payload_chars"] > 10000]
    assert len(deep) == 2 and {q["reason"] for q in deep} == {"malformed_json"}
    assert all(len(q["payload"]) <= 4096 for q in deep)
    # a quarantined payload is always valid text (invalid bytes replaced), with the hash of the original
    bad_utf8 = next(q for q in hostile.quarantine if q["record_id"] == "b-utf8")
    assert "\ufffd" in bad_utf8["payload"] and len(bad_utf8["payload_sha256"]) == 64


def test_unreadable_files_are_quarantined_whole(hostile: HostileRun) -> None:
    file_rows = [
        q
        for q in hostile.quarantine
        if q["reason"] in ("corrupt_archive", "schema_mismatch", "unreadable_file")
    ]
    got = {q["source_uri"].rsplit("/", 1)[-1]: q["reason"] for q in file_rows}
    want: dict[str, str] = {}
    for exp in hostile.expected.values():
        want.update(exp.unreadable or {})
    assert got == want
    assert len(file_rows) == len(want)  # one record per file
    diagnostics = {q["source_uri"].rsplit("/", 1)[-1]: q["payload"] for q in file_rows}
    assert "EOFException" in diagnostics["truncated.jsonl.gz"]
    assert "Zstd" in diagnostics["truncated.jsonl.zst"]
    # the summary a user sees accounts for the files set aside
    summary = format_summary(hostile.report)
    assert "corrupt_archive=2" in summary
    assert "schema_mismatch=1" in summary and "unreadable_file=1" in summary


def test_logs_hold_no_document_text(hostile: HostileRun) -> None:
    texts = [t for exp in hostile.expected.values() for t in exp.ingested.values() if len(t) >= 8]
    texts += ["this line was cut", "record 1 of a long file", "swapped columns"]
    assert hostile.log_messages  # the run logged (so the check below can fail)
    for message in hostile.log_messages:
        for text in texts:
            assert text not in message
