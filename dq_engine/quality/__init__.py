"""Quality heuristics: length bounds and the Gopher / C4 / FineWeb rules (``quality_heuristics``)."""

from dq_engine.quality.heuristics import SIGNALS, QualityHeuristics, QualityHeuristicsParams
from dq_engine.quality.length import LengthFilter, LengthFilterParams

__all__ = ["SIGNALS", "LengthFilter", "LengthFilterParams", "QualityHeuristics", "QualityHeuristicsParams"]
