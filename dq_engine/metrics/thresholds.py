"""Threshold what-ifs from stored scores: what a different threshold would drop or let back in.

Every filter leaves its scores on ``silver.documents`` (kept rows, all stages' score columns) and the
deciding stage's score on ``silver.rejections``. That is enough to answer "what if this threshold
were t?" without re-running any model:

- **would newly drop**: kept documents whose score in ``column`` violates the new threshold;
- **would re-admit**: documents the stage itself rejected (and no other stage flagged) whose stored
  score passes the new threshold.

All work is Spark aggregations over the two tables; only counts, bin edges and a bounded number of
document ids reach the driver, never text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from dq_engine.versioning.tables import Tables

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class WhatIf:
    """Counts for one candidate threshold. ``example_*`` hold at most ``examples`` doc ids each."""

    column: str
    threshold: float
    drop_when: Direction
    kept_now: int
    would_newly_drop: int
    rejected_by_stage_now: int
    would_readmit: int
    example_newly_dropped: list[str]
    example_readmitted: list[str]

    @property
    def kept_after(self) -> int:
        return self.kept_now - self.would_newly_drop + self.would_readmit


def _violates(col: str, threshold: float, drop_when: Direction) -> F.Column:
    return F.col(col) > threshold if drop_when == "above" else F.col(col) < threshold


def score_columns(tables: Tables) -> list[str]:
    """Numeric per-stage columns on ``silver.documents`` (``*_score`` and stage signal columns)."""
    fields = tables.read("silver_documents").schema.fields
    numeric = ("double", "float", "int", "bigint", "smallint", "tinyint")
    return [f.name for f in fields if f.dataType.simpleString() in numeric and not f.name.startswith("_")]


def score_histogram(tables: Tables, column: str, bins: int = 20) -> list[tuple[float, float, int]]:
    """``(low, high, count)`` bins of ``column`` over kept documents, computed by Spark."""
    silver = tables.read("silver_documents").where(F.col(column).isNotNull())
    bounds = silver.agg(F.min(column).alias("lo"), F.max(column).alias("hi")).first()
    if bounds is None or bounds["lo"] is None:
        return []
    lo, hi = float(bounds["lo"]), float(bounds["hi"])
    width = (hi - lo) / bins if hi > lo else 1.0
    bucket = F.least(F.floor((F.col(column) - F.lit(lo)) / F.lit(width)), F.lit(bins - 1)).cast("int")
    counts = {
        r["b"]: r["n"] for r in silver.groupBy(bucket.alias("b")).agg(F.count("*").alias("n")).collect()
    }
    return [(lo + i * width, lo + (i + 1) * width, int(counts.get(i, 0))) for i in range(bins)]


def _rejected_only_by(rejections: DataFrame, stage: str) -> DataFrame:
    # all_reasons lists every "stage:reason" that fired; re-admission needs this stage to be the only one.
    others = F.filter(F.col("all_reasons"), lambda r: ~r.startswith(f"{stage}:"))
    return rejections.where((F.col("stage") == stage) & (F.size(others) == 0))


def what_if(
    tables: Tables,
    column: str,
    threshold: float,
    drop_when: Direction,
    stage: str | None = None,
    examples: int = 5,
) -> WhatIf:
    """Counts for ``threshold`` on ``column`` (e.g. ``toxicity_score``, drop_when="above").

    ``stage`` is the pipeline label whose rejections ``column`` scored (its ``<stage>_score``); when
    given, rejections of that stage are checked for re-admission against their stored score.
    """
    silver = tables.read("silver_documents")
    if column not in silver.columns:
        raise ValueError(f"silver_documents has no column {column!r}; score columns: {score_columns(tables)}")
    flagged = silver.where(_violates(column, threshold, drop_when))
    kept_now = silver.count()
    newly = flagged.count()
    newly_ids = [r["doc_id"] for r in flagged.select("doc_id").orderBy("doc_id").limit(examples).collect()]
    rejected_now = readmit = 0
    readmit_ids: list[str] = []
    if stage is not None and tables.exists("silver_rejections"):
        own = _rejected_only_by(tables.read("silver_rejections"), stage)
        rejected_now = tables.read("silver_rejections").where(F.col("stage") == stage).count()
        passing = own.where(F.col("score").isNotNull() & ~_violates("score", threshold, drop_when))
        readmit = passing.count()
        readmit_ids = [
            r["doc_id"] for r in passing.select("doc_id").orderBy("doc_id").limit(examples).collect()
        ]
    return WhatIf(
        column=column,
        threshold=threshold,
        drop_when=drop_when,
        kept_now=kept_now,
        would_newly_drop=newly,
        rejected_by_stage_now=rejected_now,
        would_readmit=readmit,
        example_newly_dropped=newly_ids,
        example_readmitted=readmit_ids,
    )
