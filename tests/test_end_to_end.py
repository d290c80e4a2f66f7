"""The whole job on the bundled sample: tables, invariants, MLflow, reruns, a blocked publish."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from conftest import LIGHT_PIPELINE, REPO_ROOT, config_with_sources
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from dq_engine.runner import format_summary, run_job
from dq_engine.versioning import Tables

GROUND_TRUTH = json.loads((REPO_ROOT / "data" / "sample" / "ground_truth.json").read_text())


def _light_pipeline(tmp_path: Path) -> str:
    path = tmp_path / "light.yaml"
    path.write_text(LIGHT_PIPELINE, encoding="utf-8")
    return f"pipeline={path}"


def test_run_publishes_and_keeps_every_invariant(spark: SparkSession, sample_run) -> None:  # type: ignore[no-untyped-def]
    config, report = sample_run
    assert report.status == "succeeded", report.message
    tables = Tables(spark, config.lakehouse)
    bronze = tables.read("bronze_documents").count()
    silver = tables.read("silver_documents")
    rejections = tables.read("silver_rejections")
    gold = tables.read("gold_documents")
    cur = report.curate
    assert cur.documents_in == bronze == GROUND_TRUTH["totals"]["valid"]
    assert silver.count() + rejections.count() == bronze == cur.kept + cur.rejected
    assert silver.join(rejections, "doc_id").count() == 0
    assert gold.count() == silver.count()
    assert gold.select("doc_id").distinct().count() == gold.count()
    assert "text" not in rejections.columns  # rejection rows never carry raw text
    # the decide step attributes each rejection to one stage; per-reason counts add up
    assert sum(n for r in cur.rejected_by.values() for n in r.values()) == cur.rejected
    assert cur.rejected_by["exact_dedup"]["exact_duplicate"] > 0
    assert cur.rejected_by["length"]["too_short"] >= 1
    # silver text is normalized: no CRLF, no runs of spaces, trimmed
    assert silver.where(F.col("text").rlike("\r|  |^\\s|\\s$")).count() == 0
    # gold is one Delta version, tagged with the run id
    hist = tables.history("gold_documents").collect()
    assert [h["run_id"] for h in hist] == [report.run_id]
    assert report.audit.published and report.audit.passed


def test_mlflow_run_has_params_metrics_and_artifacts(sample_run) -> None:  # type: ignore[no-untyped-def]
    config, report = sample_run
    mlflow.set_tracking_uri(config.mlflow.tracking_uri)
    client = mlflow.MlflowClient()
    run = client.get_run(report.mlflow_run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["job"] == "run"
    assert run.data.params["output_version.gold_documents"] == "0"
    assert run.data.params["config.ingest.max_text_chars"] == str(config.ingest.max_text_chars)
    assert run.data.params["config.lakehouse.root"] == config.lakehouse.root
    metrics = run.data.metrics
    assert metrics["ingest.records_read"] == GROUND_TRUTH["totals"]["records"]
    assert metrics["ingest.quarantined.malformed_json"] == 4
    assert metrics["curate.documents_in"] == metrics["curate.kept"] + metrics["curate.rejected"]
    assert metrics["audit.passed"] == 1.0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"config", "audit", "summary.txt"} <= artifacts
    audit = json.loads(Path(client.download_artifacts(run.info.run_id, "audit/results.json")).read_text())
    assert audit["passed"] is True and len(audit["constraints"]) >= 6


def test_second_run_is_a_noop(spark: SparkSession, sample_run) -> None:  # type: ignore[no-untyped-def]
    config, first = sample_run
    tables = Tables(spark, config.lakehouse)
    gold_rows = tables.read("gold_documents").count()
    ops = {name: tables.current_version(name) for name in ("ops_runs", "ops_lease")}
    again = run_job("run", config, spark)
    assert again.status == "succeeded"
    # found before the lease was taken: not even the lease or ops.runs got a commit
    assert again.nothing_new
    assert {name: tables.current_version(name) for name in ops} == ops
    assert "nothing new: no lease taken" in format_summary(again)
    assert again.ingest.records_read == 0
    assert again.curate.skipped and again.audit.skipped
    for name in (
        "bronze_documents",
        "bronze_quarantine",
        "silver_documents",
        "silver_rejections",
        "gold_documents",
    ):
        assert again.versions_after[name] == first.versions_after[name], name
    assert tables.read("gold_documents").count() == gold_rows
    assert "SUCCEEDED" in format_summary(again)


def test_error_check_blocks_publish(spark: SparkSession, tmp_path: Path) -> None:
    suite = tmp_path / "strict.yaml"
    suite.write_text(
        "name: strict\nchecks:\n  - name: impossible\n    level: error\n    constraints:\n"
        "      - {type: has_size, assertion: '> 1000000'}\n",
        encoding="utf-8",
    )
    landing = REPO_ROOT / "data" / "sample" / "landing" / "pages"
    config = config_with_sources(
        tmp_path,
        f"{{name: pages, path: {landing}, format: text, text_mode: file}}",
        extra=(f"audit.suite={suite}", _light_pipeline(tmp_path)),
    )
    report = run_job("run", config, spark)
    assert report.status == "audit_failed"
    assert "impossible" in (report.message or "") and "NOT published" in (report.message or "")
    tables = Tables(spark, config.lakehouse)
    assert not tables.exists("gold_documents")
    results = tables.read("ops_dq_results").where(F.col("run_id") == report.run_id)
    assert results.where("constraint_status = 'Failure'").count() == 1
    runs = tables.read("ops_runs").where(F.col("run_id") == report.run_id)
    assert runs.where("job = 'publish' and status = 'blocked'").count() == 1
    client = mlflow.MlflowClient(tracking_uri=report.mlflow_tracking_uri)
    assert client.get_run(report.mlflow_run_id).info.status == "FAILED"
    audit = json.loads(
        Path(client.download_artifacts(report.mlflow_run_id, "audit/results.json")).read_text()
    )
    assert audit["passed"] is False
    assert [c["constraint_status"] for c in audit["constraints"]] == ["Failure"]

    # fixing the suite publishes the batch that was held back
    fixed = config.model_copy(update={"audit": config.audit.model_copy(update={"suite": "silver_documents"})})
    retry = run_job("audit", fixed, spark)
    assert retry.status == "succeeded" and retry.audit.published
    assert tables.read("gold_documents").count() == tables.read("silver_documents").count()


def test_time_travel_and_restore(spark: SparkSession, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    first = "The first document has enough words to pass every default quality rule today.\n"
    (landing / "a.txt").write_text(first, encoding="utf-8")
    config = config_with_sources(
        tmp_path, f"{{name: t, path: {landing}, format: text}}", extra=(_light_pipeline(tmp_path),)
    )
    assert run_job("run", config, spark).ok
    second_text = "A second document arrives in a later batch and is published on its own.\n"
    (landing / "b.txt").write_text(second_text, encoding="utf-8")
    second = run_job("run", config, spark)
    assert second.ok
    tables = Tables(spark, config.lakehouse)
    assert tables.current_version("gold_documents") == 1
    assert tables.read("gold_documents", version=0).count() == 1
    assert tables.read("gold_documents").count() == 2
    assert [h["run_id"] for h in tables.history("gold_documents").collect()][0] == second.run_id
    tables.restore("gold_documents", 0)
    assert tables.read("gold_documents").count() == 1
    assert tables.current_version("gold_documents") == 2
