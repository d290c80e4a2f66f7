"""Corpus text metrics as columns, so Deequ suites can assert on a text corpus, not only on fields.

Deequ measures columns. A corpus question ("what is the median document length?", "what share of the
batch was an exact duplicate?", "how many documents still contain an e-mail address after masking?")
becomes a column question once each document carries the per-document quantity; Deequ's analyzers then
aggregate it in the suite's single pass: approximate quantiles of ``text_chars``, the mean of
``pii_residual > 0``, the share of rows with ``rejection_reason = 'exact_duplicate'``.

Columns added by :func:`with_text_metrics` (every audited frame that has ``text``):

==================  =========================================================================
``text_chars``      characters of ``text`` (null when ``text`` is null)
``text_words``      whitespace-separated words of ``text`` (0 for blank text)
``pii_residual``    structured PII findings still in ``text``: the ``pii_mask`` stage's own
                    re-scan of its masked output where it ran (its column is kept), else
                    the structured detectors of :mod:`dq_engine.pii` run here; a count,
                    never the match
==================  =========================================================================

Columns added by :func:`corpus_frame` (suites with ``dataset: corpus``):

=====================  ======================================================================
``kept``               ``true`` for documents of the audited batch, ``false`` for its rejections
``rejection_stage``    the stage label that dropped the document (null when kept)
``rejection_reason``   its reason, e.g. ``exact_duplicate``, ``too_short`` (null when kept)
``pii_findings``       PII findings recorded for the document in ``silver.pii_findings``; only
                       present when that table exists (the ``pii_mask`` stage ran)
=====================  ======================================================================

Stage columns pass through unchanged where the stage ran: ``lang``/``lang_score`` (``language``),
``toxicity_score`` (``toxicity``), ``near_dup_of``/``cluster_id`` (``near_dedup``). A constraint on a
column that is absent is skipped with a note naming the stage (see :data:`STAGE_OF_COLUMN`).
Rejected rows carry ``doc_id``, ``source`` and the rejection columns only; they never carry text.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.core import java_udfs
from dq_engine.pii import jvm as pii_jvm
from dq_engine.pii.detectors import DETECTORS, FINDINGS_STRUCT, find_pii

TEXT_CHARS = "text_chars"
TEXT_WORDS = "text_words"
PII_RESIDUAL = "pii_residual"
PII_FINDINGS = "pii_findings"
KEPT = "kept"
REJECTION_STAGE = "rejection_stage"
REJECTION_REASON = "rejection_reason"

# Which stage produces a column a suite may use: the note of a skipped constraint names it.
STAGE_OF_COLUMN: dict[str, str] = {
    "lang": "language",
    "lang_score": "language",
    "toxicity_score": "toxicity",
    "near_dup_of": "near_dedup",
    "cluster_id": "near_dedup",
    PII_FINDINGS: "pii_mask (table silver_pii_findings)",
    "pii_spans": "pii_mask",
    "exact_dup_of": "exact_dedup",
    REJECTION_STAGE: "a corpus dataset (suite `dataset: corpus`)",
    REJECTION_REASON: "a corpus dataset (suite `dataset: corpus`)",
    KEPT: "a corpus dataset (suite `dataset: corpus`)",
}


def with_text_metrics(df: DataFrame, text_column: str = C.TEXT) -> DataFrame:
    """Add ``text_chars``, ``text_words`` and ``pii_residual`` computed from ``text_column``.

    Evaluated in the same scan as the suite. ``pii_residual`` keeps the value the ``pii_mask`` stage
    wrote (it re-scanned its own output with the types it was configured for); rows without one get
    the count of every structured detector's findings, from the Java scanner when its jar is on the
    classpath. A frame without the text column is returned unchanged (its text-metric constraints are
    then skipped).
    """
    if text_column not in df.columns:
        return df
    text = F.col(text_column)
    trimmed = F.trim(text)
    words = F.when(trimmed == "", F.lit(0)).otherwise(F.size(F.split(trimmed, r"\s+")))
    spark = df.sparkSession
    tmp = "_audit_pii_found"
    if java_udfs.use_jvm("auto", spark, pii_jvm.JVM_CLASS, "audit pii_residual"):
        found: Column = F.size(pii_jvm.findings_column(spark, text, DETECTORS, FINDINGS_STRUCT))
    else:
        df = find_pii(df, text_column, tmp, engine="sql")
        found = F.size(F.col(tmp))
    residual = F.coalesce(F.col(PII_RESIDUAL), found) if PII_RESIDUAL in df.columns else found
    return df.withColumns(
        {
            TEXT_CHARS: F.length(text),
            TEXT_WORDS: F.when(text.isNull(), F.lit(None)).otherwise(words),
            PII_RESIDUAL: F.when(text.isNull(), F.lit(None)).otherwise(residual.cast("int")),
        }
    ).drop(tmp)


def corpus_frame(
    documents: DataFrame,
    rejections: DataFrame | None = None,
    pii_findings: DataFrame | None = None,
) -> DataFrame:
    """One row per document of a curate batch, kept or rejected, with the text metric columns.

    Args:
        documents: the kept documents (e.g. the silver batch under audit).
        rejections: ``silver.rejections`` rows of the same batch (``doc_id, stage, reason, source``);
            ``None`` gives a frame of kept rows only (rejection rates are then 0).
        pii_findings: ``silver.pii_findings`` rows (one per finding, with ``doc_id``); ``None`` leaves
            ``pii_findings`` out so PII constraints are skipped.

    Returns:
        ``documents`` + text metrics + ``kept``/``rejection_stage``/``rejection_reason``, unioned with the
        rejected rows (columns the rejections lack are null). Nothing is collected.
    """
    kept = with_text_metrics(documents).withColumns(
        {
            KEPT: F.lit(True),
            REJECTION_STAGE: F.lit(None).cast("string"),
            REJECTION_REASON: F.lit(None).cast("string"),
        }
    )
    if pii_findings is not None and C.DOC_ID in pii_findings.columns:
        per_doc = pii_findings.groupBy(C.DOC_ID).agg(F.count(F.lit(1)).alias(PII_FINDINGS))
        kept = kept.join(per_doc, C.DOC_ID, "left").withColumn(
            PII_FINDINGS, F.coalesce(F.col(PII_FINDINGS), F.lit(0)).cast("long")
        )
    if rejections is None:
        return kept
    rejected = rejections.select(
        F.col(C.DOC_ID),
        F.col(C.SOURCE) if C.SOURCE in rejections.columns else F.lit(None).cast("string").alias(C.SOURCE),
        F.lit(False).alias(KEPT),
        F.col("stage").alias(REJECTION_STAGE),
        F.col("reason").alias(REJECTION_REASON),
    )
    return kept.unionByName(rejected, allowMissingColumns=True)
