"""What leaves the stage about each finding: never the value, only a salted hash of it."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.pii.maskers import salted_hash

PUBLIC_FINDING_TYPE = "array<struct<type:string,start:int,end:int,detector:string,value_hash:string>>"

FINDINGS_COLUMNS = ("doc_id", "type", "start", "end", "detector", "value_hash", "stage", "kept", "run_id")


def public_findings(found: Column, key: str) -> Column:
    """Findings with the value replaced by ``value_hash`` (hex SHA-256 of key, type, value)."""
    return F.transform(
        found,
        lambda f: F.struct(
            f["type"].alias("type"),
            f["start"].alias("start"),
            f["end"].alias("end"),
            f["detector"].alias("detector"),
            salted_hash(key, f["type"], f["value"]).alias("value_hash"),
        ),
    )


def type_counts(found: Column) -> Column:
    """``map<type, count>`` of a findings array (empty map when there are none)."""
    types = F.transform(found, lambda f: f["type"])
    entries = F.transform(
        F.array_distinct(types),
        lambda t: F.struct(t.alias("key"), F.size(F.filter(types, lambda x: x == t)).alias("value")),
    )
    return F.when(F.size(found) > 0, F.map_from_entries(entries)).otherwise(
        F.create_map().cast("map<string,int>")
    )


def findings_rows(decided: DataFrame, findings_column: str, stage_label: str, run_id: str) -> DataFrame:
    """One ``silver.pii_findings`` row per finding: doc_id, type, start, end, detector, value_hash,
    stage, kept (the document survived the decide step), run_id. Offsets refer to the text the stage
    received (before masking)."""
    kept = (
        F.col(C.DECISION_REASON).isNull()
        if C.DECISION_REASON in decided.columns
        else F.lit(None).cast("boolean")
    )
    exploded = decided.select(
        F.col(C.DOC_ID).alias("doc_id"), kept.alias("kept"), F.explode(F.col(findings_column)).alias("f")
    )
    return exploded.select(
        "doc_id",
        F.col("f.type").alias("type"),
        F.col("f.start").alias("start"),
        F.col("f.end").alias("end"),
        F.col("f.detector").alias("detector"),
        F.col("f.value_hash").alias("value_hash"),
        F.lit(stage_label).alias("stage"),
        "kept",
        F.lit(run_id).alias("run_id"),
    )
