"""Quality heuristics (length bounds now; Gopher/C4/FineWeb-style rules later)."""

from dq_engine.quality.length import LengthFilter, LengthFilterParams

__all__ = ["LengthFilter", "LengthFilterParams"]
