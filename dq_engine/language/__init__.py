"""Language identification: CLD2, fastText, langid or a saved Spark pipeline, and the ``language`` stage."""

from dq_engine.language.backends import LanguageBackend, get_backend
from dq_engine.language.filter import LANG, LANG_SCORE, LANG_SCRIPT, LanguageFilter, LanguageParams

__all__ = [
    "LANG",
    "LANG_SCORE",
    "LANG_SCRIPT",
    "LanguageBackend",
    "LanguageFilter",
    "LanguageParams",
    "get_backend",
]
