"""``phrase_blocklist``: reject documents containing any listed phrase (case-insensitive, whole words).

Reads ``text``; adds ``<label>_score`` (how many listed phrases occur) and ``<label>_reason``
(``blocked_phrase`` or null). Written only against dq-engine's public stage contract.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from dq_engine.core import Filter, RunContext


class PhraseBlocklistParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phrases: list[str] = Field(min_length=1)
    max_hits: int = Field(default=0, ge=0, description="documents with more hits than this are rejected")


class PhraseBlocklist(Filter):
    """Reject documents that contain more than ``max_hits`` of the listed phrases."""

    name = "phrase_blocklist"
    Params = PhraseBlocklistParams
    requires = ("text",)
    reasons = ("blocked_phrase",)

    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        p = self.params
        assert isinstance(p, PhraseBlocklistParams)
        lowered = F.lower(F.col("text"))
        # One Spark SQL regex per phrase: per-row work stays in the JVM, no Python UDF.
        hits = [
            F.when(lowered.rlike(r"\b" + re.escape(phrase.lower()) + r"\b"), 1).otherwise(0)
            for phrase in p.phrases
        ]
        total: Column = hits[0]
        for hit in hits[1:]:
            total = total + hit
        return df.withColumn(self.score_column, total.cast("double"))

    def reason(self, scored: DataFrame) -> Column:
        p = self.params
        assert isinstance(p, PhraseBlocklistParams)
        return F.when(F.col(self.score_column) > p.max_hits, F.lit("blocked_phrase")).otherwise(
            F.lit(None).cast("string")
        )
