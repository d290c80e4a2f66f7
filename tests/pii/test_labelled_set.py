"""Accuracy and leak-freedom of pii_mask on the project's generated labelled set, through the real
pipeline: ingest -> curate (pii_mask) -> audit -> publish, with MLflow.

Accuracy comes from ``silver.pii_findings`` (type and offsets, no values) against the generator's
ground truth; leak-freedom is a search for every injected value in every table, log record and MLflow
file the run produced.
"""

from __future__ import annotations

import json
import logging
import sqlite3

import pytest
from conftest import config_with_sources
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from dq_engine.pii.evaluation import score
from dq_engine.pii.synth import STRUCTURED_TYPES, generate
from dq_engine.runner import run_job
from dq_engine.versioning import Tables

SALT_ENV = "DQ_ENGINE_PII_SALT"


@pytest.fixture(scope="module")
def labelled_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("pii_labelled")
    docs = generate(n_per_type=40, n_negative_docs=150, seed=11)
    landing = root / "landing"
    landing.mkdir()
    with (landing / "docs.jsonl").open("w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n")
    pipeline = root / "pii.yaml"
    pipeline.write_text(
        "name: pii_test\nstages:\n  - stage: pii_mask\n    name: pii\n"
        "    params: {strategy: hash, strategies: {CREDIT_CARD: partial, PHONE: placeholder},"
        " max_density: 12, min_findings_to_drop: 3}\n",
        encoding="utf-8",
    )
    config = config_with_sources(
        root,
        f"{{name: labelled, path: {landing}, format: jsonl, id_field: id}}",
        extra=(f"pipeline={pipeline}",),
    )
    mp = pytest.MonkeyPatch()
    mp.setenv(SALT_ENV, "labelled-set-salt")
    handler = _Capture()
    # every record that reaches the root logger, and all of dq-engine's own down to DEBUG (py4j's DEBUG
    # chatter is left out: it logs every JVM call and would slow the run tenfold)
    ours = logging.getLogger("dq_engine")
    old_level = ours.level
    logging.getLogger().addHandler(handler)
    ours.setLevel(logging.DEBUG)
    try:
        report = run_job("run", config, spark)
    finally:
        logging.getLogger().removeHandler(handler)
        ours.setLevel(old_level)
        mp.undo()
    return docs, config, report, handler.lines, root


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


def _ids(spark: SparkSession, config) -> dict[str, str]:  # type: ignore[no-untyped-def]
    bronze = Tables(spark, config.lakehouse).read("bronze_documents")
    return {r["doc_id"]: r["id"] for r in bronze.select("doc_id", F.col("meta")["id"].alias("id")).collect()}


@pytest.mark.slow
def test_per_type_precision_recall_and_negatives(spark: SparkSession, labelled_run) -> None:  # type: ignore[no-untyped-def]
    docs, config, report, _, _ = labelled_run
    assert report.ok, report.message
    tables = Tables(spark, config.lakehouse)
    ids = _ids(spark, config)
    findings: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for r in tables.read("silver_pii_findings").collect():
        findings.setdefault(ids[r["doc_id"]], []).append(r.asDict())
    silver = {ids[r["doc_id"]]: r for r in tables.read("silver_documents").collect()}
    rejected = {ids[r["doc_id"]]: r["reason"] for r in tables.read("silver_rejections").collect()}
    assert set(rejected.values()) == {"pii_density"} and 0 < len(rejected) < len(docs) // 4
    assert len(silver) + len(rejected) == len(docs)
    # documents dropped for density have no text anywhere; score masking on the kept ones
    masked = {i: r["text"] for i, r in silver.items()}
    kept_docs = [d for d in docs if d.id in silver]
    s = score(docs, findings, {d.id: masked.get(d.id, d.text) for d in docs})
    print(f"all {len(docs)} documents (residual counts dropped ones, which have no text):\n{s.table()}")
    for t in STRUCTURED_TYPES:
        assert s.gold[t] >= 40
        assert s.recall(t) >= 0.97, (t, s.recall(t))
        assert s.precision(t) >= 0.97, (t, s.precision(t))
    kept_scores = score(kept_docs, findings, masked)
    print(f"kept documents ({len(kept_docs)}):\n{kept_scores.table()}")
    assert kept_scores.negatives_intact_rate >= 0.97
    assert kept_scores.residual_values == 0
    assert all(r["pii_residual"] == 0 for r in silver.values())
    gold = tables.read("gold_documents")
    assert gold.count() == len(silver)
    assert gold.where("pii_residual > 0").count() == 0


@pytest.mark.slow
def test_no_injected_value_leaks(spark: SparkSession, labelled_run) -> None:  # type: ignore[no-untyped-def]
    docs, config, report, log_lines, root = labelled_run
    tables = Tables(spark, config.lakehouse)
    values = {e["value"] for d in docs for e in d.entities}
    places: dict[str, str] = {}
    for name in ("silver_pii_findings", "silver_rejections", "silver_documents", "gold_documents",
                 "ops_runs", "ops_dq_results", "ops_dq_metrics"):  # fmt: skip
        if tables.exists(name):
            places[name] = "\n".join(tables.read(name).toJSON().collect())
    assert places["silver_pii_findings"] and places["silver_rejections"]
    places["logs"] = "\n".join(log_lines) + "\n" + (report.message or "")
    db = root / "mlruns.db"
    with sqlite3.connect(db) as conn:
        rows = []
        for table in ("params", "metrics", "tags", "runs"):
            rows += [repr(r) for r in conn.execute(f"select * from {table}")]  # noqa: S608
    places["mlflow_db"] = "\n".join(rows)
    artifacts = [p for p in (root / "mlartifacts").rglob("*") if p.is_file()]
    assert artifacts, "the run recorded no MLflow artifacts"
    places["mlflow_artifacts"] = "\n".join(p.read_text("utf-8", errors="replace") for p in artifacts)
    assert any("pii" in k for k in places["mlflow_db"].split("\n")), "the pii stage is not in the MLflow run"
    leaks = sorted((where, v) for where, blob in places.items() for v in values if v in blob)
    assert leaks == []


def test_mlflow_run_has_finding_totals_per_type(spark: SparkSession, labelled_run) -> None:  # type: ignore[no-untyped-def]
    _, config, report, _, root = labelled_run
    findings = Tables(spark, config.lakehouse).read("silver_pii_findings")
    expected = {r["type"]: r["count"] for r in findings.groupBy("type").count().collect()}
    kept = {r["type"]: r["count"] for r in findings.where("kept").groupBy("type").count().collect()}
    with sqlite3.connect(root / "mlruns.db") as conn:
        rows = conn.execute(
            "select m.key, m.value from metrics m join runs r on m.run_uuid = r.run_uuid "
            "where r.run_uuid = ? and m.key like 'curate.pii.pii.%'",
            (report.mlflow_run_id,),
        ).fetchall()
    logged = dict(rows)
    assert logged["curate.pii.pii.findings"] == sum(expected.values()) > 0
    assert {k.rsplit(".", 1)[1]: v for k, v in logged.items() if ".findings." in k} == expected
    assert {k.rsplit(".", 1)[1]: v for k, v in logged.items() if ".kept_findings." in k and v} == kept
    assert set(expected) >= set(STRUCTURED_TYPES)
