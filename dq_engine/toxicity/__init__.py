"""Toxicity: alt-profanity-check's model over Arrow batches, user word lists in Spark SQL, ``toxicity``."""

from dq_engine.toxicity.filter import ToxicityFilter, ToxicityParams
from dq_engine.toxicity.linear import LinearTfidfModel, profanity_model

__all__ = ["LinearTfidfModel", "ToxicityFilter", "ToxicityParams", "profanity_model"]
