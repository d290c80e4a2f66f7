"""Column names shared by every stage and table. One place, so a rename is one edit."""

from __future__ import annotations

DOC_ID = "doc_id"
TEXT = "text"
SOURCE = "source"
SOURCE_URI = "source_uri"
INGEST_RUN_ID = "ingest_run_id"
INGESTED_AT = "ingested_at"
META = "meta"

TEXT_HASH = "text_hash"
CURATE_RUN_ID = "curate_run_id"
CURATED_AT = "curated_at"
PUBLISH_RUN_ID = "publish_run_id"
PUBLISHED_AT = "published_at"

# The decide step's working columns; never persisted in silver.documents.
DECISION_STAGE = "_decision_stage"
DECISION_REASON = "_decision_reason"
DECISION_SCORE = "_decision_score"
DECISION_ALL = "_decision_all_reasons"


def reason_column(stage_label: str) -> str:
    """Name of the column a filter writes its rejection reason to (null = keep)."""
    return f"{stage_label}_reason"


def score_column(stage_label: str) -> str:
    """Name of the column a filter writes its score to."""
    return f"{stage_label}_score"
