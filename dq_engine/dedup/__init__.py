"""Deduplication stages (exact now; MinHash LSH in a later issue)."""

from dq_engine.dedup.exact import ExactDedup, ExactDedupParams, canonical_text, text_hash

__all__ = ["ExactDedup", "ExactDedupParams", "canonical_text", "text_hash"]
