"""Deduplication stages: ``exact_dedup`` (normalized-text hash) and ``near_dedup`` (MinHash LSH)."""

from dq_engine.dedup.exact import ExactDedup, ExactDedupParams, canonical_text, text_hash
from dq_engine.dedup.near import CLUSTER_ID, NEAR_DUP_OF, NearDedup, NearDedupParams

__all__ = [
    "CLUSTER_ID",
    "NEAR_DUP_OF",
    "ExactDedup",
    "ExactDedupParams",
    "NearDedup",
    "NearDedupParams",
    "canonical_text",
    "text_hash",
]
