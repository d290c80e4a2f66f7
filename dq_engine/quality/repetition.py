"""Gopher n-gram repetition signals, computed for a whole Arrow batch at once.

Spark SQL has no cheap way to count n-grams inside one document: higher-order functions over word arrays
run interpreted (no codegen) and exploding every n-gram to rows multiplies the data by hundreds. So these
signals run in an Arrow ``pandas_udf`` that tokenizes, hashes and counts the n-grams of all documents of
a batch together with vectorised pyarrow/numpy kernels; there is no Python loop over rows or words.

Definitions (``text_chars`` = characters of the whole text; words = whitespace-separated tokens):

* ``top_<n>gram_char_ratio``: the most frequent word n-gram of the document (ties: the longer one),
  its length as ``" ".join(words)`` times its count, over ``text_chars`` (Gopher "top n-gram character
  fraction").
* ``dup_<n>gram_char_ratio``: characters of the words covered by a *repeated* occurrence of a word
  n-gram (every occurrence but the first; overlapping occurrences counted once), over ``text_chars``
  (Gopher "duplicate n-gram character fraction").

A document with fewer than ``n`` words gets ``0.0``. N-grams are compared by a 64-bit polynomial hash of
per-batch word ids, so two different n-grams collide with probability ~2**-64 per pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import DoubleType, StructField, StructType

_MUL = np.uint64(0x9E3779B97F4A7C15)
_WORD_MUL = np.uint64(0xBF58476D1CE4E5B9)
_DOC_MUL = np.uint64(0x94D049BB133111EB)


def top_field(n: int) -> str:
    return f"top_{n}gram_char_ratio"


def dup_field(n: int) -> str:
    return f"dup_{n}gram_char_ratio"


# Hash tables that fit in the CPU cache are several times faster than one table for the whole batch; n-grams
# never match across documents, so counting document-aligned chunks separately gives the same answer.
_CHUNK_WORDS = 20_000


def _chunk_bounds(offsets: np.ndarray) -> np.ndarray:
    """Word offsets that cut the batch into runs of whole documents of about ``_CHUNK_WORDS`` words."""
    bounds = [0]
    total = int(offsets[-1])
    while bounds[-1] < total:
        doc_i = int(np.searchsorted(offsets, bounds[-1] + _CHUNK_WORDS, side="left"))
        nxt = int(offsets[min(doc_i, len(offsets) - 1)])
        bounds.append(nxt if nxt > bounds[-1] else total)
    return np.asarray(bounds, dtype=np.int64)


def ngram_signals(texts: pa.Array, top_ns: Sequence[int], dup_ns: Sequence[int]) -> dict[str, np.ndarray]:
    """Per-document n-gram signals for ``texts`` (a string Arrow array; nulls count as empty)."""
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    n_docs = len(texts)
    out: dict[str, np.ndarray] = {}
    for n in top_ns:
        out[top_field(n)] = np.zeros(n_docs)
    for n in dup_ns:
        out[dup_field(n)] = np.zeros(n_docs)
    if n_docs == 0:
        return out
    text_chars = pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.float64)
    # trimmed first: Arrow's split keeps an empty piece for leading or trailing whitespace
    words = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(texts))
    offsets = words.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
    flat = words.flatten()
    n_words = len(flat)
    max_n = max([*top_ns, *dup_ns], default=0)
    if n_words == 0 or max_n == 0:
        return out
    ids = pc.dictionary_encode(flat).indices.to_numpy(zero_copy_only=False).astype(np.uint64)
    wlen = pc.utf8_length(flat).to_numpy(zero_copy_only=False).astype(np.int64)
    per_doc = np.diff(offsets)
    doc = np.repeat(np.arange(n_docs), per_doc)
    pos = np.arange(n_words) - np.repeat(offsets[:-1], per_doc)
    remaining = np.repeat(per_doc, per_doc) - pos  # words from this one to the end of its document
    cum = np.concatenate([[0], np.cumsum(wlen)])
    safe_chars = np.where(text_chars > 0, text_chars, 1.0)

    chunk_words = _chunk_bounds(offsets)
    # Seeding the hash with the document index keeps equal n-grams of different documents apart.
    word_key = ids * _WORD_MUL + np.uint64(1)
    h = doc.astype(np.uint64) * _DOC_MUL + word_key
    with np.errstate(over="ignore"):
        for n in range(1, max_n + 1):
            if n > 1:
                h = h[:-1] * _MUL + word_key[n - 1 :]
            if n not in top_ns and n not in dup_ns:
                continue
            starts = np.nonzero(remaining[: len(h)] >= n)[0]
            if len(starts) == 0:
                continue
            keys = h[starts]
            sdoc = doc[starts]
            counts = np.empty(len(starts), dtype=np.int64)
            repeat = np.empty(len(starts), dtype=bool)
            cuts = np.searchsorted(starts, chunk_words)
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                if a == b:
                    continue
                codes, _ = pd.factorize(keys[a:b])
                counts[a:b] = np.bincount(codes)[codes]
                # factorize numbers keys in order of first appearance, so an occurrence is a repeat
                # exactly when its code is not larger than every code before it
                repeat[a:b] = codes <= np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
            if n in top_ns:
                gram_chars = cum[starts + n] - cum[starts] + (n - 1)
                # count ranks first, length breaks ties: one int64 per occurrence, max per document
                packed = (counts << 32) | gram_chars
                best = np.zeros(n_docs, dtype=np.int64)
                np.maximum.at(best, sdoc, packed)
                out[top_field(n)] = ((best >> 32) * (best & 0xFFFFFFFF)) / safe_chars
            if n in dup_ns:
                rep = starts[repeat]
                delta = np.bincount(rep, minlength=n_words + 1) - np.bincount(rep + n, minlength=n_words + 1)
                covered = np.cumsum(delta[:n_words]) > 0
                chars = np.bincount(doc[covered], weights=wlen[covered], minlength=n_docs)
                out[dup_field(n)] = chars / safe_chars
    return out


def ngram_struct_type(top_ns: Iterable[int], dup_ns: Iterable[int]) -> StructType:
    return StructType(
        [StructField(top_field(n), DoubleType(), True) for n in top_ns]
        + [StructField(dup_field(n), DoubleType(), True) for n in dup_ns]
    )


def ngram_signals_column(text: Column, top_ns: Sequence[int], dup_ns: Sequence[int]) -> Column:
    """A struct Column of :func:`ngram_signals` fields for ``text``, computed by an Arrow UDF."""
    top, dup = tuple(top_ns), tuple(dup_ns)
    schema = ngram_struct_type(top, dup)

    @pandas_udf(schema)  # type: ignore[call-overload]
    def _signals(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            arr = pa.array(batch, type=pa.large_string(), from_pandas=True)
            yield pd.DataFrame(ngram_signals(arr, top, dup), columns=schema.fieldNames())

    return _signals(text)
