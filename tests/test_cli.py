"""The dq-engine CLI, in process against the test session (the CLI adopts an active session)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from conftest import REPO_ROOT, lakehouse_overrides
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from dq_engine.cli import app

runner = CliRunner()


def _sets(root: Path) -> list[str]:
    out: list[str] = []
    for item in lakehouse_overrides(root):
        out += ["--set", item]
    return out


def _apply_stage(name: str, input_path: Path, output_path: Path, *params: str):  # type: ignore[no-untyped-def]
    sets = [arg for p in params for arg in ("--set", p)]
    args = ["apply-stage", name, "--input", str(input_path), "--output", str(output_path), *sets]
    return runner.invoke(app, [*args, "--conf-dir", str(REPO_ROOT / "conf")])


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("ingest", "curate", "audit", "run", "history", "show", "restore", "apply-stage"):
        assert cmd in result.output


def test_config_error_exits_1_and_names_the_key() -> None:
    result = runner.invoke(app, ["run", "--conf-dir", str(REPO_ROOT / "conf"), "--set", "lakehouse.rooot=x"])
    assert result.exit_code == 1
    assert "lakehouse.rooot" in result.output


def test_history_show_restore(spark: SparkSession, sample_run) -> None:  # type: ignore[no-untyped-def]
    config, report = sample_run
    root = Path(config.lakehouse.root).parent
    conf = ["--conf-dir", str(REPO_ROOT / "conf"), *_sets(root)]
    hist = runner.invoke(app, ["history", "bronze_documents", *conf])
    assert hist.exit_code == 0, hist.output
    assert report.run_id in hist.output and "ingest" in hist.output
    # version 0 is the empty table ingest creates up front; version 1 is the first micro-batch
    count_v0 = runner.invoke(app, ["show", "bronze_documents", "--version", "1", "--count", *conf])
    count_now = runner.invoke(app, ["show", "bronze_documents", "--count", *conf])
    assert count_v0.exit_code == count_now.exit_code == 0
    assert 0 < int(count_v0.output.strip()) < int(count_now.output.strip())
    missing = runner.invoke(app, ["history", "no_such_table", *conf])
    assert missing.exit_code == 1 and "unknown table" in missing.output


def test_restore_rejects_a_version_that_does_not_exist(spark: SparkSession, sample_run) -> None:  # type: ignore[no-untyped-def]
    config, _report = sample_run
    root = Path(config.lakehouse.root).parent
    result = runner.invoke(
        app,
        ["restore", "gold_documents", "--version", "99", "--conf-dir", str(REPO_ROOT / "conf"), *_sets(root)],
    )
    assert result.exit_code == 1 and "versions 0..0" in result.output


def test_apply_stage_writes_scores_and_flags(spark: SparkSession, tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        "\n".join(
            json.dumps({"id": i, "text": t})
            for i, t in enumerate(["tiny", "a long enough document here", "a long enough document here"])
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = _apply_stage("length_filter", docs, out, "min_chars=10")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["kept"] == 2 and summary["rejected_by_reason"] == {"too_short": 1}
    frame = pd.read_parquet(out).sort_values("doc_id")
    assert list(frame["length_filter_reason"]) == ["too_short", None, None]
    assert list(frame["length_filter_score"]) == [4.0, 27.0, 27.0]

    # Parquet input works the same way
    parquet_in = tmp_path / "docs.parquet"
    pd.read_json(docs, lines=True).to_parquet(parquet_in)
    result = _apply_stage("length_filter", parquet_in, tmp_path / "pq_out", "min_chars=10")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rejected_by_reason"] == {"too_short": 1}

    # The default pipeline runs every stage: give it a real sentence (its quality rules want >= 10 words).
    sentence = "The library opens at nine on weekdays and closes early on most public holidays."
    pipeline_docs = tmp_path / "pipeline_docs.jsonl"
    texts = ["tiny", sentence, sentence.upper()]
    lines = [json.dumps({"id": i, "text": t}) for i, t in enumerate(texts)]
    pipeline_docs.write_text("\n".join(lines), "utf-8")
    pipeline_out = tmp_path / "pipeline_out"
    result = _apply_stage("default", pipeline_docs, pipeline_out)
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(pipeline_out).sort_values("doc_id")
    assert list(frame["decision_reason"]) == ["too_short", None, "exact_duplicate"]
    assert list(frame["kept"]) == [False, True, False]


def test_apply_stage_rejects_unknown_names_and_bad_params(tmp_path: Path) -> None:
    docs = tmp_path / "d.jsonl"
    docs.write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    unknown = _apply_stage("nope", docs, tmp_path / "o")
    assert unknown.exit_code == 1 and "unknown stage or pipeline" in unknown.output
    bad = _apply_stage("length_filter", docs, tmp_path / "o", "min_charz=3")
    assert bad.exit_code == 1 and "min_charz" in bad.output


def test_job_json_report_is_machine_readable(spark: SparkSession, sample_run) -> None:  # type: ignore[no-untyped-def]
    config, _report = sample_run
    root = Path(config.lakehouse.root).parent
    result = runner.invoke(app, ["ingest", "--json", "--conf-dir", str(REPO_ROOT / "conf"), *_sets(root)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "succeeded" and report["job"] == "ingest"
    sources = report["ingest"]["sources"]
    assert {s["source"] for s in sources} >= {"web", "tickets"}
    assert sum(s["records_read"] for s in sources) == 0  # the sample run ingested everything already


def test_unreadable_source_fails_with_a_clear_message(spark: SparkSession, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "broken.parquet").write_bytes(b"this is not parquet")
    source = f"ingest.sources=[{{name: broken, path: {landing}, format: parquet}}]"
    result = runner.invoke(
        app, ["ingest", "--conf-dir", str(REPO_ROOT / "conf"), *_sets(tmp_path), "--set", source]
    )
    assert result.exit_code == 1
    assert "ingest failed: SourceError: source 'broken': cannot infer schema" in result.output
