"""Per-document quality signals as Spark SQL expressions (JVM, code-generated).

Each function returns a Column over a text Column. Definitions (the ones the tests hand-compute):

* *token*: a maximal run of non-whitespace characters. *word*: a token with at least one letter or digit
  (tokens of only punctuation or symbols, such as ``-`` or ``...``, are not words).
* *line*: a ``\\n``-separated piece with surrounding whitespace trimmed; blank lines are ignored.
* *paragraph*: a piece of the trimmed text separated by two or more ``\\n`` (blank lines).

Regular expressions use Java syntax. They are written so every match advances linearly (no nested
quantifiers over the same characters), so a 5 MB document cannot make one backtrack for minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

#: Characters that open a bullet-point line (Gopher uses "•"; the others are its common variants).
BULLETS = "•‣◦⁃▪●∙*-"
#: Characters that end a line "with terminal punctuation" (C4 / FineWeb, plus CJK, Arabic, Devanagari).
TERMINAL_PUNCTUATION = ".!?\"'”’…。！？؟।"
#: The Gopher stop words: a document must contain at least two occurrences of these.
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
#: C4's cookie / terms-of-use phrases; a line containing one is a "policy line".
POLICY_PHRASES = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)

# From a token's first letter/digit to its end: one match per token that has one, no lookbehind, so a
# position that cannot start a match costs one character-class test.
_WORD = r"[\p{L}\p{N}]\S*+"
_ALPHA_WORD = r"\p{L}\S*+"


def _char_class(chars: str) -> str:
    return "[" + "".join("\\" + c if c in "\\^-[]" else c for c in chars) + "]"


def _rx(s: Column, pattern: str) -> Column:
    return F.regexp_count(s, F.lit(pattern))


def count_sub(s: Column, sub: str) -> Column:
    """Non-overlapping occurrences of a literal ``sub`` (length arithmetic, no regex)."""
    return ((F.length(s) - F.length(F.replace(s, F.lit(sub), F.lit("")))) / len(sub)).cast("long")


def _ratio(num: Column, den: Column) -> Column:
    return F.when(den > 0, num.cast("double") / den).otherwise(F.lit(0.0))


def nonblank(text: Column) -> Column:
    """``text`` with null as empty."""
    return F.coalesce(text, F.lit(""))


_WHITESPACE = " \t\n\r\f\x0b"


def strip(text: Column) -> Column:
    """``text`` without leading and trailing whitespace (Spark's ``trim`` removes only spaces)."""
    return F.btrim(text, F.lit(_WHITESPACE))


def normalized_lines(text: Column) -> Column:
    """The text's non-blank lines, each trimmed, joined by ``\\n`` (empty for a blank text).

    Trailing whitespace longer than 64 characters before a newline is kept: the bound keeps the regex
    linear on a document that is one huge run of spaces.
    """
    return F.regexp_replace(strip(text), r"[ \t\r\f\x0B]{0,64}+\n\s*+", "\n")


def line_array(lines_text: Column) -> Column:
    """The lines of :func:`normalized_lines` output as an array (empty for a blank text)."""
    return F.when(lines_text == "", F.array().cast("array<string>")).otherwise(F.split(lines_text, "\n"))


def paragraph_array(text: Column) -> Column:
    t = strip(text)
    return F.when(t == "", F.array().cast("array<string>")).otherwise(F.split(t, r"\n\s*\n\s*"))


def token_count(text: Column) -> Column:
    return _rx(text, r"\S+")


def word_count(text: Column) -> Column:
    return _rx(text, _WORD)


def alpha_word_count(text: Column) -> Column:
    return _rx(text, _ALPHA_WORD)


def non_space_chars(text: Column) -> Column:
    # translate, not a regex: the same characters as Java's ASCII \s, without a match loop
    return F.length(F.translate(text, " \t\n\x0b\f\r", ""))


def hash_count(text: Column) -> Column:
    return count_sub(text, "#")


def ellipsis_count(text: Column) -> Column:
    return count_sub(text, "...") + count_sub(text, "…")


def bullet_line_count(lines_text: Column) -> Column:
    return _rx(lines_text, "(?md)^" + _char_class(BULLETS))


def ellipsis_line_count(lines_text: Column) -> Column:
    return _rx(lines_text, r"(?md)(\.\.\.|…)$")


def terminal_punct_line_count(lines_text: Column) -> Column:
    return _rx(lines_text, "(?md)" + _char_class(TERMINAL_PUNCTUATION) + "$")


def short_line_count(lines_text: Column, max_chars: int) -> Column:
    return _rx(lines_text, f"(?md)^.{{1,{int(max_chars)}}}$")


def lines_containing(lines_text: Column, phrases: Sequence[str]) -> Column:
    """Lines whose lower-cased text contains any of ``phrases``."""
    lowered = F.lower(lines_text)
    alternatives = "|".join(_quote(p.lower()) for p in phrases)
    # Substring search first: most documents contain none of the phrases and never reach the regex.
    present = F.lit(False)
    for p in phrases:
        present = present | (F.instr(lowered, p.lower()) > 0)
    return F.when(present, _rx(lowered, f"(?md)^.*?(?:{alternatives})")).otherwise(F.lit(0).cast("long"))


def stop_word_count(text: Column, stop_words: Sequence[str]) -> Column:
    """Occurrences of ``stop_words`` as whole words, case-insensitive."""
    if not stop_words:
        return F.lit(0)
    alternatives = "|".join(_quote(w.lower()) for w in stop_words)
    return _rx(F.lower(text), rf"(?<![\p{{L}}\p{{N}}])(?:{alternatives})(?![\p{{L}}\p{{N}}])")


def sentence_count(text: Column) -> Column:
    """Runs of sentence-ending punctuation followed by whitespace or the end of the text."""
    return _rx(text, r"[.!?…。！？؟।]+(?=\s|$)")


def duplicate_count(items: Column) -> Column:
    """How many elements repeat an earlier element of the array."""
    return F.size(items) - F.size(F.array_distinct(items))


def duplicate_chars(items: Column) -> Column:
    """Characters of the elements that repeat an earlier element of the array."""
    joined = F.length(F.array_join(items, "")) - F.length(F.array_join(F.array_distinct(items), ""))
    return F.when(duplicate_count(items) > 0, joined).otherwise(F.lit(0))


def contains_ci(text: Column, phrase: str) -> Column:
    return F.instr(F.lower(text), phrase.lower()) > 0


def ratio(num: Column, den: Column) -> Column:
    """``num / den`` as a double, 0.0 when ``den`` is 0 (an empty document has no bad lines)."""
    return _ratio(num, den)


def _quote(s: str) -> str:
    return "\\Q" + s.replace("\\E", "\\E\\\\E\\Q") + "\\E"
