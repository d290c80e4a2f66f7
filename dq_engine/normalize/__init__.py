"""Text normalization stages."""

from dq_engine.normalize.text import NormalizeText, NormalizeTextParams

__all__ = ["NormalizeText", "NormalizeTextParams"]
