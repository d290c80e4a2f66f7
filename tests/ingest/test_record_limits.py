"""Records too large to hold: skipped or set aside with a reason, counted, never a crash or a silent drop.

Unit tests of the byte accounting (:mod:`dq_engine.ingest.limits`), one ingest with small limits over
files whose sizes straddle them, and (slow) ``dq-engine ingest`` on a multi-GB single-line file with
the default limits.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, config_with_sources, lakehouse_overrides
from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.ingest import run_ingest
from dq_engine.ingest.limits import oversize_files, skipped_lines
from dq_engine.versioning import Tables

LIMIT = 4096


def _line(doc_id: str, text: str) -> bytes:
    return json.dumps({"id": doc_id, "text": text}, ensure_ascii=False).encode("utf-8")


# --- byte accounting, no Spark -------------------------------------------------------------------


def _as_read(content: bytes) -> tuple[int, int]:
    """(lines, bytes) as Hadoop's line reader returns them without a limit: BOM dropped, breaks too."""
    body = content[3:] if content.startswith(b"\xef\xbb\xbf") else content
    pieces = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    return len(pieces), sum(len(p) for p in pieces)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"a\n",
        b"no final break",
        b"\xef\xbb\xbfbom then lf\nx\n",
        b"crlf\r\n" * 50,
        b"\r\n" * 40,  # empty lines only: all bytes are breaks
        b"\r" * 7 + b"\n",
        b"\xef\xbb\xbf" + b"\r\n" * 3,
    ],
)
def test_no_false_positive_for_any_line_break_layout(content: bytes) -> None:
    path = "file:/landing/f.jsonl"
    assert skipped_lines({path: len(content)}, {path: _as_read(content)}, LIMIT) == {}


def test_a_skipped_line_is_found_whatever_else_the_file_holds() -> None:
    long_line = b"x" * (LIMIT + 10)
    files = {
        "file:/l/alone.jsonl": long_line,  # nothing read at all
        "file:/l/middle.jsonl": b"a\r\n" * 100 + long_line + b"\r\n" + b"b\r\n" * 100,
        "file:/l/last-no-break.jsonl": b"a\n" * 5 + long_line,
    }
    read = {}
    for path, content in files.items():
        lines, held = _as_read(content)
        # the reader returned every line but the long one
        read[path] = (lines - 1, held - len(long_line))
    read.pop("file:/l/alone.jsonl")
    found = skipped_lines({p: len(c) for p, c in files.items()}, read, LIMIT)
    assert set(found) == set(files)
    assert {f.reason for f in found.values()} == {"record_too_large"}
    # the diagnostic brackets the skipped size and names the limit, never content
    low, high = (int(x) for x in found["file:/l/alone.jsonl"].diagnostic.split()[1:4:2])
    assert low <= len(long_line) <= high
    assert str(LIMIT) in found["file:/l/middle.jsonl"].diagnostic
    assert "xxx" not in " ".join(f.diagnostic for f in found.values())


def test_compressed_files_are_not_judged_by_their_compressed_size() -> None:
    path = "file:/l/big.jsonl.gz"
    assert skipped_lines({path: 10 * LIMIT}, {path: (1, 5)}, LIMIT) == {}


def test_a_piece_of_a_skipped_line_flags_its_file_compressed_or_not() -> None:
    lengths = {"file:/l/a.jsonl.gz": 100, "file:/l/b.jsonl": 3 * LIMIT, "file:/l/c.jsonl.gz": 100}
    found = skipped_lines(lengths, {}, LIMIT, fragments={"file:/l/a.jsonl.gz", "file:/l/b.jsonl"})
    assert set(found) == {"file:/l/a.jsonl.gz", "file:/l/b.jsonl"}


def test_whole_file_records_over_the_limit_are_set_aside_before_reading() -> None:
    found = oversize_files({"file:/l/a.json": LIMIT, "file:/l/b.json": LIMIT + 1}, LIMIT)
    assert list(found) == ["file:/l/b.json"]
    assert found["file:/l/b.json"].reason == "file_too_large"


# --- one ingest with small limits ----------------------------------------------------------------


def _build(landing: Path) -> dict[str, dict[str, Any]]:
    """Three sources; per source the texts that must reach bronze and the expected quarantine."""
    long_text = "L" * (LIMIT + 100)
    web = landing / "web"
    web.mkdir(parents=True)
    (web / "plain.jsonl").write_bytes(b"\n".join(_line(f"p{i}", f"plain {i}") for i in range(20)) + b"\n")
    (web / "crlf-bom.jsonl").write_bytes(
        b"\xef\xbb\xbf" + b"\r\n".join(_line(f"c{i}", f"crlf {i}") for i in range(20)) + b"\r\n"
    )
    # Names Spark may spell differently in its listing and in a file's metadata (URL encoding).
    (web / "naïve 100% [x].jsonl").write_bytes(_line("n1", "odd name") + b"\n")
    (web / "one-long-line.jsonl").write_bytes(_line("big", long_text))  # no final break
    (web / "long-in-middle.jsonl").write_bytes(
        b"\r\n".join([_line("m1", "before"), _line("m2", long_text), _line("m3", "after")]) + b"\r\n"
    )
    # A line just under the limit is read and judged on its text like any other.
    near = _line("near", "N" * (LIMIT - 40))
    assert len(near) < LIMIT - 2
    (web / "near-limit.jsonl").write_bytes(near + b"\n")

    notes = landing / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_bytes(b"short note\n" + b"T" * (LIMIT * 3) + b"\nlast note\n")

    exports = landing / "exports"
    exports.mkdir()
    (exports / "small.json").write_text(json.dumps([{"doc": "e1", "content": "small export"}]))
    (exports / "huge.json").write_text(json.dumps([{"doc": "e2", "content": "H" * LIMIT}]))

    return {
        "web": {
            "ingested": {f"plain {i}" for i in range(20)}
            | {f"crlf {i}" for i in range(20)}
            | {"odd name", "before", "after", "N" * (LIMIT - 40)},
            "quarantined": Counter({"record_too_large": 2}),
            "long_files": 2,
        },
        "notes": {
            "ingested": {"short note", "last note"},
            "quarantined": Counter({"record_too_large": 1}),
            "long_files": 1,
        },
        "exports": {
            "ingested": {"small export"},
            "quarantined": Counter({"file_too_large": 1}),
            "long_files": 0,
        },
    }


@pytest.fixture(scope="module")
def limited(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("limits")
    expected = _build(root / "landing")
    config = config_with_sources(
        root,
        f"{{name: web, path: '{root / 'landing/web'}', format: jsonl, id_field: id}}",
        f"{{name: notes, path: '{root / 'landing/notes'}', format: text}}",
        f"{{name: exports, path: '{root / 'landing/exports'}', format: json, text_field: content}}",
        extra=(f"ingest.max_line_bytes={LIMIT}", f"ingest.max_file_bytes={LIMIT}"),
    )
    tables = Tables(spark, config.lakehouse)
    result = run_ingest(RunContext(spark=spark, config=config, tables=tables))
    return {
        "expected": expected,
        "result": result,
        "bronze": [r.asDict() for r in tables.read("bronze_documents").collect()],
        "quarantine": [r.asDict() for r in tables.read("bronze_quarantine").collect()],
    }


def test_readable_records_ingest_and_oversized_ones_are_quarantined(limited: dict[str, Any]) -> None:
    by_source = {s.source: s for s in limited["result"].sources}
    for name, want in limited["expected"].items():
        got = by_source[name]
        assert got.records_read == got.ingested + got.quarantined, name
        texts = {b["text"] for b in limited["bronze"] if b["source"] == name}
        assert texts == want["ingested"], name
        reasons = Counter(q["reason"] for q in limited["quarantine"] if q["source"] == name)
        assert reasons == want["quarantined"], name
        assert Counter(got.quarantine_reasons) == want["quarantined"], name
        assert got.files_with_long_lines == want["long_files"], name


def test_quarantine_rows_name_the_file_and_hold_no_content(limited: dict[str, Any]) -> None:
    rows = {q["source_uri"].rsplit("/", 1)[-1]: q for q in limited["quarantine"]}
    assert set(rows) == {"one-long-line.jsonl", "long-in-middle.jsonl", "notes.txt", "huge.json"}
    for name, row in rows.items():
        assert str(LIMIT) in row["payload"], name
        assert not any(ch * 20 in row["payload"] for ch in "LTH"), name
    assert rows["huge.json"]["reason"] == "file_too_large"
    # Ids are stable: the same file set aside again gets the same id.
    assert len({r["doc_id"] for r in rows.values()}) == 4


# --- the real thing: a multi-GB single line, default limits, through the CLI ---------------------


def _write_huge_line(path: Path, size: int, *, compress: bool) -> None:
    """One line of ``size`` bytes, never held in memory: a JSON object whose text is ``size`` bytes."""
    head, tail = b'{"id": "huge", "text": "', b'"}\n'
    chunk = b"x" * (8 << 20)
    left = size - len(head) - len(tail)
    if compress:
        packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip container
        with path.open("wb") as out:
            out.write(packer.compress(head))
            while left > 0:
                out.write(packer.compress(chunk[: min(left, len(chunk))]))
                left -= len(chunk)
            out.write(packer.compress(tail) + packer.flush())
        return
    with path.open("wb") as out:
        # Sparse: the line's body is NUL bytes the file system does not store. The reader still
        # scans all of them (a NUL is not a line break), but the test costs no disk.
        out.write(head)
        out.seek(left, os.SEEK_CUR)
        out.write(tail)


@pytest.mark.slow
def test_multi_gb_single_line_files_are_quarantined_and_the_run_exits_0(
    spark: SparkSession, tmp_path: Path
) -> None:
    gib = 1 << 30
    web = tmp_path / "landing" / "web"
    web.mkdir(parents=True)
    _write_huge_line(web / "huge.jsonl", int(2.2 * gib), compress=False)
    # Over 2 GB in one line of a compressed file: Hadoop cannot apply its limit there and fails the read.
    _write_huge_line(web / "huge-line.jsonl.gz", int(2.1 * gib), compress=True)
    (web / "good.jsonl").write_bytes(_line("g1", "a good line") + b"\n" + _line("g2", "another") + b"\n")
    with gzip.open(web / "good.jsonl.gz", "wb") as f:
        f.write(_line("g3", "compressed and fine") + b"\n")
    exports = tmp_path / "landing" / "exports"
    exports.mkdir()
    with (exports / "huge.json").open("wb") as f:  # sparse: over max_file_bytes, never read
        f.truncate(300 << 20)
    (exports / "ok.json").write_text(json.dumps({"doc": "e1", "content": "fine"}))

    sources = (
        f"[{{name: web, path: '{web}', format: jsonl, id_field: id}}, "
        f"{{name: exports, path: '{exports}', format: json, text_field: content}}]"
    )
    cmd = [str(Path(sys.executable).parent / "dq-engine"), "ingest", "--conf-dir", str(REPO_ROOT / "conf")]
    for item in (*lakehouse_overrides(tmp_path), f"ingest.sources={sources}", "mlflow.enabled=false"):
        cmd += ["--set", item]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DQ_ENGINE_PAUSE", "PYSPARK_"))}
    env["DQ_ENGINE_LOG_DIR"] = str(tmp_path / "logs")
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=1200, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    # The summary says what was quarantined and why, per source.
    summary = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith("  ")}
    assert "ingested=3" in summary["web"] and "[record_too_large=2]" in summary["web"], done.stdout
    assert "ingested=1" in summary["exports"] and "[file_too_large=1]" in summary["exports"], done.stdout

    config = config_with_sources(tmp_path)
    tables = Tables(spark, config.lakehouse)
    bronze = {r["text"] for r in tables.read("bronze_documents").select("text").collect()}
    assert bronze == {"a good line", "another", "compressed and fine", "fine"}
    quarantine = {
        r["source_uri"].rsplit("/", 1)[-1]: r["reason"]
        for r in tables.read("bronze_quarantine").select("source_uri", "reason").collect()
    }
    assert quarantine == {
        "huge.jsonl": "record_too_large",
        "huge-line.jsonl.gz": "record_too_large",
        "huge.json": "file_too_large",
    }
