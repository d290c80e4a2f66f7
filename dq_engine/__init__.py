"""dq-engine: a Spark-native data-quality engine for generative-AI text corpora."""

__version__ = "0.1.0"
