"""Word-list toxicity scoring in Spark SQL: user lists per category and language, no model.

A term matches as a whole word (not inside a longer word), case-insensitively; multi-word terms match
as phrases. For languages written without spaces (``zh``, ``ja``, ``th``) terms match anywhere. The
score of a category is ``hits / (hits + 1)`` (0 for none, 0.5 for one hit, 0.75 for three): bounded in
[0, 1] and rising with evidence, so one threshold reads "at least k hits".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pyspark.sql import Column
from pyspark.sql import functions as F

NO_WORD_BOUNDARIES = frozenset({"zh", "ja", "th"})


def load_terms(terms: Sequence[str] | str) -> list[str]:
    """A list as given, or the lines of a UTF-8 file (``#`` starts a comment line)."""
    if isinstance(terms, str):
        lines = Path(terms).read_text(encoding="utf-8").splitlines()
        terms = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return sorted({t.strip().lower() for t in terms if t.strip()}, key=lambda t: (-len(t), t))


def _pattern(terms: Sequence[str], lang: str) -> str:
    alternatives = "|".join("\\Q" + t.replace("\\E", "\\E\\\\E\\Q") + "\\E" for t in terms)
    if lang in NO_WORD_BOUNDARIES:
        return f"(?:{alternatives})"
    return rf"(?<![\p{{L}}\p{{N}}_])(?:{alternatives})(?![\p{{L}}\p{{N}}_])"


def hit_count(text: Column, lang: Column, lists: Mapping[str, Sequence[str]], default_lang: str) -> Column:
    """Matches of the list for each row's language (``default_lang`` when the language is null)."""
    lowered = F.lower(F.coalesce(text, F.lit("")))
    row_lang = F.coalesce(lang, F.lit(default_lang))
    out: Column = F.lit(0).cast("long")
    for code, terms in lists.items():
        if terms:
            out = F.when(row_lang == code, F.regexp_count(lowered, F.lit(_pattern(terms, code)))).otherwise(
                out
            )
    return out


def hits_to_score(hits: Column) -> Column:
    return (hits / (hits + F.lit(1))).cast("double")
