"""PII detection and masking: structured detectors as Spark SQL expressions, pluggable NER, the
``pii_mask`` stage and its ``silver.pii_findings`` side table."""

from dq_engine.pii.detectors import DETECTORS, TYPES, Detector, find_pii, select_detectors
from dq_engine.pii.maskers import MissingSaltError, apply_masks
from dq_engine.pii.ner import NerBackend, NerParams, SparkNlpNer
from dq_engine.pii.stage import PiiMask, PiiMaskParams

__all__ = [
    "DETECTORS",
    "TYPES",
    "Detector",
    "MissingSaltError",
    "NerBackend",
    "NerParams",
    "PiiMask",
    "PiiMaskParams",
    "SparkNlpNer",
    "apply_masks",
    "find_pii",
    "select_detectors",
]
