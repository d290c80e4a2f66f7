"""Exact deduplication on a hash of the normalized text."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Filter


class ExactDedupParams(BaseModel):
    """Parameters of :class:`ExactDedup`."""

    model_config = ConfigDict(extra="forbid")

    lowercase: bool = True
    against_curated: bool = True


def canonical_text(text: Column, lowercase: bool = True) -> Column:
    """The form two texts must share to be exact duplicates: whitespace runs collapsed, trimmed."""
    out = F.trim(F.regexp_replace(text, "\\s+", " "))
    return F.lower(out) if lowercase else out


def text_hash(text: Column, lowercase: bool = True) -> Column:
    """Hex SHA-256 of :func:`canonical_text`."""
    return F.sha2(canonical_text(text, lowercase), 256)


class ExactDedup(Filter):
    """Keep one document per normalized-text hash; flag the rest as ``exact_duplicate``.

    Reads ``doc_id``, ``text`` and, when present, ``ingested_at``. Adds ``text_hash``,
    ``exact_dup_of`` (the kept document's ``doc_id``, null for the keeper), ``<label>_score`` (how many
    documents share the hash, earlier curated ones included) and ``<label>_reason``.

    The keeper is the earliest document: one already in ``silver.documents`` (cross-batch dedup when
    ``against_curated``), else the earliest ``ingested_at``, then the smallest ``doc_id``, so the choice
    is deterministic. Implemented as an aggregation per hash (``min_by`` with partial aggregation, which
    tolerates a hash shared by millions of boilerplate copies) joined back on the hash, not a window
    that would sort a skewed partition.
    """

    name = "exact_dedup"
    Params = ExactDedupParams
    requires = (C.DOC_ID, C.TEXT)
    adds = (C.TEXT_HASH, "exact_dup_of")
    reasons = ("exact_duplicate",)
    reads_input_twice = True  # keepers per hash, joined back to the rows

    def _prior(self, df: DataFrame, hashes: DataFrame, ctx: RunContext) -> DataFrame | None:
        """Curated rows (``doc_id``, ``text_hash``) whose hash is one of ``hashes`` (the batch's).

        Only those can be a batch document's keeper, so the rest of silver is never shuffled or
        aggregated: per increment, one scan of silver's two columns.
        """
        p = self.params
        assert isinstance(p, ExactDedupParams)
        tables = ctx.tables
        version = tables.current_version("silver_documents") if p.against_curated else None
        if version is None:
            return None
        # Pinned: the curate job writes silver between two uses of this plan.
        silver = tables.read("silver_documents", version)
        if C.TEXT_HASH not in silver.columns:
            return None
        matched = silver.select(C.DOC_ID, C.TEXT_HASH).join(hashes, C.TEXT_HASH, "left_semi")
        # A rerun of a batch whose silver append already committed must not see itself as "prior".
        return matched.join(df.select(C.DOC_ID), C.DOC_ID, "left_anti")

    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        p = self.params
        assert isinstance(p, ExactDedupParams)
        hashed = df.withColumn(C.TEXT_HASH, text_hash(F.col(C.TEXT), p.lowercase))
        ingested = F.col(C.INGESTED_AT) if C.INGESTED_AT in df.columns else F.lit(None).cast("timestamp")
        candidates = hashed.select(
            C.TEXT_HASH,
            C.DOC_ID,
            F.struct(F.lit(1).alias("tier"), ingested.alias("at"), F.col(C.DOC_ID).alias("id")).alias(
                "_order"
            ),
        )
        prior = self._prior(df, hashed.select(C.TEXT_HASH).distinct(), ctx)
        if prior is not None:
            candidates = candidates.unionByName(
                prior.select(
                    C.TEXT_HASH,
                    C.DOC_ID,
                    F.struct(
                        F.lit(0).alias("tier"),
                        F.lit(None).cast("timestamp").alias("at"),
                        F.col(C.DOC_ID).alias("id"),
                    ).alias("_order"),
                )
            )
        keepers = candidates.groupBy(C.TEXT_HASH).agg(
            F.min_by(C.DOC_ID, "_order").alias("_keeper"), F.count("*").alias("_copies")
        )
        joined = hashed.join(keepers, C.TEXT_HASH, "left")
        return (
            joined.withColumn("exact_dup_of", F.when(F.col("_keeper") != F.col(C.DOC_ID), F.col("_keeper")))
            .withColumn(self.score_column, F.col("_copies").cast("double"))
            .drop("_keeper", "_copies")
        )

    def reason(self, scored: DataFrame) -> Column:
        return F.when(F.col("exact_dup_of").isNotNull(), F.lit("exact_duplicate"))
