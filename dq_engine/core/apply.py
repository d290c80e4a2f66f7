"""Run a stage or pipeline on a file of documents, for debugging and offline evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dq_engine.config.models import AppConfig, PipelineSettings
from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.pipeline import Pipeline
from dq_engine.versioning.tables import Tables


def read_documents(
    spark: SparkSession, path: Path, id_column: str = "id", text_column: str = "text"
) -> DataFrame:
    """Read Parquet (file or folder) or JSON lines (``.jsonl``/``.json``, optionally compressed)."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson")):
        df = spark.read.json(str(path))
    else:
        df = spark.read.parquet(str(path))
    missing = [
        c
        for c in (id_column, text_column)
        if c not in df.columns and not (c == id_column and C.DOC_ID in df.columns)
    ]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; found {df.columns}")
    if C.DOC_ID not in df.columns:
        df = df.withColumn(C.DOC_ID, F.col(id_column).cast("string"))
    if text_column != C.TEXT:
        df = df.withColumnRenamed(text_column, C.TEXT)
    return df


def apply_to_file(
    spark: SparkSession,
    config: AppConfig,
    pipeline_settings: PipelineSettings,
    input_path: Path,
    output_path: Path,
    id_column: str = "id",
    text_column: str = "text",
) -> dict[str, Any]:
    """Annotate the documents in ``input_path`` and write them, with decision columns, as Parquet.

    Output columns: the input's, each stage's added columns, and ``decision_stage``,
    ``decision_reason``, ``decision_score``, ``kept``. Returns counts of kept and rejected rows.
    """
    pipeline = Pipeline.from_settings(pipeline_settings)
    ctx = RunContext(spark=spark, config=config, tables=Tables(spark, config.lakehouse))
    docs = read_documents(spark, input_path, id_column, text_column)
    decided = pipeline.decide(pipeline.annotate(docs, ctx), ctx).annotated
    out = (
        decided.withColumnRenamed(C.DECISION_STAGE, "decision_stage")
        .withColumnRenamed(C.DECISION_REASON, "decision_reason")
        .withColumnRenamed(C.DECISION_SCORE, "decision_score")
        .withColumnRenamed(C.DECISION_ALL, "decision_all_reasons")
        .withColumn("kept", F.col("decision_reason").isNull())
    )
    try:
        out.write.mode("overwrite").parquet(str(output_path))
    finally:
        pipeline.cleanup(ctx)
    written = spark.read.parquet(str(output_path))
    counts = {
        str(r["decision_reason"]): int(r["n"])
        for r in written.groupBy("decision_reason").agg(F.count("*").alias("n")).collect()
    }
    kept = counts.pop("None", 0)
    return {
        "pipeline": pipeline.name,
        "output": str(output_path),
        "documents": kept + sum(counts.values()),
        "kept": kept,
        "rejected_by_reason": counts,
        "columns": written.columns,
    }
