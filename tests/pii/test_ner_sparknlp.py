"""The Spark NLP NER backend: a rule-based pipeline this test builds, fits and saves, then loads from
its folder through pii_mask's ``ner`` params (no download, no TensorFlow)."""

from __future__ import annotations

import json
from pathlib import Path

from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.pii import PiiMask

NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing"]


def _save_pipeline(spark: SparkSession, folder: Path) -> str:
    from pyspark.ml import Pipeline
    from sparknlp.annotator import EntityRulerApproach, Tokenizer
    from sparknlp.base import DocumentAssembler
    from sparknlp.common import ReadAs

    patterns = folder / "patterns.jsonl"
    patterns.write_text(json.dumps({"label": "PERSON", "patterns": NAMES}) + "\n", encoding="utf-8")
    pipeline = Pipeline(
        stages=[
            DocumentAssembler().setInputCol("text").setOutputCol("document"),
            Tokenizer().setInputCols(["document"]).setOutputCol("token"),
            EntityRulerApproach()
            .setInputCols(["document", "token"])
            .setOutputCol("entities")
            .setPatternsResource(str(patterns), ReadAs.TEXT, {"format": "JSONL"}),
        ]
    )
    model = pipeline.fit(spark.createDataFrame([("fit",)], "text string"))
    path = str(folder / "ner_model")
    model.write().overwrite().save(path)
    return path


def test_names_from_a_saved_spark_nlp_pipeline(spark: SparkSession, ctx: RunContext, tmp_path: Path) -> None:
    path = _save_pipeline(spark, tmp_path)
    docs = [
        ("a", "Yesterday Ada Lovelace wrote to grace@example.com about the engine."),
        ("b", "Nobody famous here, only a harbour and a lighthouse."),
        ("c", "Grace Hopper and Alan Turing never met."),
        ("d", None),
    ]
    df = spark.createDataFrame(docs, "doc_id string, text string")
    stage = PiiMask({"residual_check": False, "ner": {"model_path": path, "labels": ["PERSON"]}})
    rows = {r["doc_id"]: r for r in stage.apply(df, ctx).collect()}
    assert rows["a"]["text"] == "Yesterday <PERSON> wrote to <EMAIL> about the engine."
    assert rows["c"]["text"] == "<PERSON> and <PERSON> never met."
    assert rows["b"]["text"] == docs[1][1] and rows["b"]["pii_total"] == 0
    assert rows["d"]["text"] is None
    person = [f for f in rows["c"]["pii_spans"] if f["type"] == "PERSON"]
    assert [(f["start"], f["end"], f["detector"]) for f in person] == [
        (0, 12, "sparknlp_ner"),
        (17, 28, "sparknlp_ner"),
    ]
    assert dict(rows["c"]["pii_counts"]) == {"PERSON": 2}
    # the stage's output has exactly the input columns plus its own
    assert set(rows["a"].asDict()) == {
        "doc_id",
        "text",
        "pii_spans",
        "pii_counts",
        "pii_total",
        "pii_residual",
        "pii_mask_score",
        "pii_mask_reason",
    }
