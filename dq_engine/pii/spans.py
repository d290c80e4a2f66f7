"""Regex matches with their character positions, as Spark SQL expressions.

Spark 3.5 has ``regexp_extract_all`` (values, no positions) and no function that returns match
offsets. Positions are recovered exactly, still inside the JVM, in two projections:

1. :func:`marked_parts` wraps every match in two marker characters with one ``regexp_replace`` and
   splits the marked text on the opening marker (null when the document has no match, so the common
   case costs one regex scan);
2. :func:`spans_from_parts` turns the pieces into ``{value, start, end}`` with ``transform``: the start
   of match *i* is the length of everything before its marker, minus the *i - 1* closing markers.

The markers (U+0001, U+0002) are first replaced by spaces in the scanned copy, which keeps every
offset and makes them unambiguous. ``aggregate`` is avoided on purpose: in Spark 3.5 it is several
times slower per row than ``transform``/``filter``.

Offsets are 0-based, ``end`` exclusive, in Unicode code points (Spark's ``length``/``substring``
unit), so ``substring(text, start + 1, end - start)`` is the matched value.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

_OPEN = "\u0001"
_CLOSE = "\u0002"

SPAN_TYPE = "array<struct<value:string,start:int,end:int>>"


def empty_spans() -> Column:
    """A typed empty span array."""
    return F.array().cast(SPAN_TYPE)


def marked_parts(text: Column, pattern: str, gate: str | None = None) -> Column:
    """``text`` split at the start of every match of ``pattern`` (Java regex, never matching the empty
    string), each match followed by a closing marker; null when there is no match.

    When ``pattern`` has the named groups ``ctx`` and ``pii``, only ``pii`` is the span and ``ctx`` is
    context that must precede it (a cue word, ``scheme://user:``): consuming the context is much
    cheaper than a variable-length lookbehind, which Java retries at every position.
    ``gate`` is an optional cheaper regex every match satisfies, tested first.
    """
    has = text.isNotNull() & (text.rlike(gate) if gate else F.lit(True)) & text.rlike(pattern)
    safe = F.translate(text, _OPEN + _CLOSE, "  ")
    replacement = "${ctx}" + _OPEN + "${pii}" + _CLOSE if "(?<pii>" in pattern else _OPEN + "$0" + _CLOSE
    return F.when(has, F.split(F.regexp_replace(safe, pattern, replacement), _OPEN))


def spans_from_parts(parts: Column) -> Column:
    """``array<struct<value, start, end>>`` from a :func:`marked_parts` column (empty when null).

    ``parts`` should be a column reference: it is read inside the lambda once per match.
    """
    pieces = F.slice(parts, 2, F.greatest(F.size(parts) - 1, F.lit(0)))

    def one(piece: Column, idx: Column) -> Column:
        value = F.substring_index(piece, _CLOSE, 1)
        start = F.length(F.array_join(F.slice(parts, 1, idx + 1), "")) - idx
        return F.struct(
            value.alias("value"),
            start.cast("int").alias("start"),
            (start + F.length(value)).cast("int").alias("end"),
        )

    return F.when(parts.isNull(), empty_spans()).otherwise(F.transform(pieces, one))
