"""Shingling for near-duplicate detection, vectorised over Arrow arrays (no Python loop per document).

Normalization (documented in the README, identical for every document and every run):

1. Unicode NFKD, compatibility decomposition (full-width forms, ligatures and compatibility characters
   fold to their plain form; accents become combining marks, which stay part of their word). Not NFKC:
   pyarrow 25 returns the NFKD form when asked for NFKC (apache/arrow#51225, fixed upstream after
   25.0.1), so the hashes in every ``silver.minhash_index`` written so far are of NFKD text, and
   asking for NFKD keeps them valid when pyarrow is upgraded;
2. lower case;
3. every run of characters that is not a letter, a combining mark or a digit becomes one space
   (punctuation, symbols, emoji and whitespace are separators, never part of a shingle);
4. leading and trailing spaces are trimmed.

Units: ``word`` shingles are n consecutive words of the normalized text (default n = 5); ``char``
shingles are n consecutive characters of it (spaces included); ``auto`` uses char shingles for a
document whose letters are mostly of a script written without spaces (Han, Hiragana, Katakana, Thai,
Lao, Khmer, Myanmar, Tibetan) and word shingles otherwise, so a Chinese page is not one giant "word".

Outcomes per document (``status``):

- ``shingled``: at least n units, shingled normally;
- ``short``: 1 to n-1 units: the whole unit sequence is one shingle, so two short documents only match
  when their normalized texts are identical (they never collapse into one cluster just for being short);
- ``empty``: no unit at all (empty, whitespace, punctuation or emoji only): never compared.

Hashing: each unit is hashed from its UTF-8 bytes with a polynomial hash over the bytes, a shingle is a
position-weighted sum of its units' hashes, and both pass through the splitmix64 finalizer, all in
wrapping uint64 numpy arithmetic over the whole batch at once. Memory is linear in the batch's text
size: no tokens x permutations matrix is built per document (see :mod:`dq_engine.dedup.minhash`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

STATUS_SHINGLED = "shingled"
STATUS_SHORT = "short"
STATUS_EMPTY = "empty"

_SEPARATORS = r"[^\p{L}\p{M}\p{N}]+"
# Share of letters in no-space scripts above which ``auto`` switches a document to char shingles.
NO_SPACE_SHARE = 0.3


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, vectorised (wrapping uint64 arithmetic)."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _constants(count: int, seed: int) -> np.ndarray:
    """Odd 64-bit multipliers derived from ``seed`` (fixed for the life of an index)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return rng.integers(1, 2**63, size=count, dtype=np.uint64) | np.uint64(1)


GRAM_MULT = _constants(64, 11)
SHORT_SALT = _constants(1, 13)[0]


@dataclass(frozen=True)
class ShingleSpec:
    """How documents are cut into shingles. ``unit``: ``word``, ``char`` or ``auto``."""

    unit: str = "word"
    word_ngram: int = 5
    char_ngram: int = 5

    def __post_init__(self) -> None:
        if self.unit not in ("word", "char", "auto"):
            raise ValueError(f"shingle unit must be word, char or auto, not {self.unit!r}")
        if not 1 <= self.word_ngram <= len(GRAM_MULT) or not 1 <= self.char_ngram <= len(GRAM_MULT):
            raise ValueError(f"n-gram sizes must be between 1 and {len(GRAM_MULT)}")


@dataclass
class Shingles:
    """Shingle hashes of a batch: document ``i`` owns ``hashes[offsets[i]:offsets[i+1]]``."""

    offsets: np.ndarray  # int64, len = documents + 1
    hashes: np.ndarray  # uint64 (may repeat within a document; MinHash and set ops ignore repeats)
    status: np.ndarray  # object array of STATUS_* per document

    def doc_index(self) -> np.ndarray:
        """For every shingle, the index of its document."""
        return np.repeat(np.arange(len(self.offsets) - 1), np.diff(self.offsets))


def normalize(texts: pa.Array) -> pa.Array:
    """The documented normalization (module docstring, steps 1-4); nulls become empty strings."""
    texts = pc.fill_null(texts.cast(pa.string()), "")
    out = pc.utf8_normalize(texts, form="NFKD")
    out = pc.utf8_lower(out)
    out = pc.replace_substring_regex(out, pattern=_SEPARATORS, replacement=" ")
    return pc.utf8_trim_whitespace(out)


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int64 offsets, uint8 data) of a string array, honouring a sliced array's offset."""
    arr = arr.cast(pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return offsets, data


def _inverse_mod64(x: int) -> int:
    """Multiplicative inverse of an odd ``x`` modulo 2**64 (Newton's iteration)."""
    inv = x
    for _ in range(6):
        inv = (inv * (2 - x * inv)) % 2**64
    return inv


BYTE_MULT = int(_constants(1, 7)[0])
BYTE_MULT_INV = _inverse_mod64(BYTE_MULT)


def _range_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Hash of each byte range ``[starts[i], ends[i])``, vectorised.

    A polynomial hash over bytes from prefix sums: ``P[j] = sum(byte[i] * m**i, i < j)`` once for the
    whole buffer, then ``(P[end] - P[start]) * m**-start`` per range (``m`` odd, so it is invertible
    modulo 2**64). A handful of passes over the batch's bytes, however the text is split.
    """
    if len(starts) == 0:
        return np.zeros(0, dtype=np.uint64)
    n = len(data)
    with np.errstate(over="ignore"):
        powers = np.empty(n + 1, dtype=np.uint64)
        powers[0] = 1
        powers[1:] = np.uint64(BYTE_MULT)
        np.cumprod(powers, out=powers)
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(data.astype(np.uint64) * powers[:-1], out=prefix[1:])
        inverse = np.empty(len(starts), dtype=np.uint64)
        # m**-start = (m**-1)**start, from the same cumulative-product trick over the starts only
        inv_powers = np.empty(n + 1, dtype=np.uint64)
        inv_powers[0] = 1
        inv_powers[1:] = np.uint64(BYTE_MULT_INV)
        np.cumprod(inv_powers, out=inv_powers)
        inverse = inv_powers[starts]
        raw = (prefix[ends] - prefix[starts]) * inverse
        lengths = (ends - starts).astype(np.uint64)
        return _splitmix64(raw ^ (lengths * np.uint64(0x9E3779B97F4A7C15)))


def _word_units(normalized: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per-document unit offsets and unit hashes for word shingles.

    The normalized text has single spaces between words and none at either end, so word boundaries
    are the spaces and the document boundaries.
    """
    offsets, data = _string_buffers(normalized)
    base = offsets[0]
    offsets = offsets - base
    data = data[base : base + offsets[-1]]
    spaces = np.flatnonzero(data == 0x20)
    nonempty = offsets[1:] > offsets[:-1]
    boundary = np.zeros(len(data) + 1, dtype=bool)
    boundary[spaces + 1] = True
    boundary[offsets[:-1][nonempty]] = True
    starts = np.flatnonzero(boundary[:-1])
    end_mark = np.zeros(len(data) + 1, dtype=bool)
    end_mark[spaces] = True
    end_mark[offsets[1:][nonempty]] = True
    ends = np.flatnonzero(end_mark)
    doc_offsets = np.searchsorted(starts, offsets).astype(np.int64)
    return doc_offsets, _range_hashes(data, starts, ends)


def _char_units(normalized: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per-document unit offsets and unit hashes for char shingles: a unit is one UTF-8 character."""
    offsets, data = _string_buffers(normalized)
    base = offsets[0]
    offsets = offsets - base
    data = data[base : base + offsets[-1]]
    lead = np.flatnonzero((data & 0xC0) != 0x80)  # the first byte of every character
    ends = np.append(lead[1:], len(data))
    # a character never straddles two documents, so document boundaries are lead bytes
    doc_offsets = np.searchsorted(lead, offsets).astype(np.int64)
    return doc_offsets, _range_hashes(data, lead, ends)


# Code point ranges of scripts written without spaces between words (see module docstring).
_NO_SPACE_RANGES = np.array(
    [
        (0x0E00, 0x0EFF),  # Thai, Lao
        (0x0F00, 0x0FFF),  # Tibetan
        (0x1000, 0x109F),  # Myanmar
        (0x1780, 0x17FF),  # Khmer
        (0x3040, 0x30FF),  # Hiragana, Katakana
        (0x3400, 0x4DBF),  # CJK extension A
        (0x4E00, 0x9FFF),  # CJK unified ideographs
        (0xF900, 0xFAFF),  # CJK compatibility ideographs
        (0x20000, 0x3FFFF),  # CJK extensions B and later
    ]
)


def uses_char_units(normalized: pa.Array, spec: ShingleSpec) -> np.ndarray:
    """Boolean per document: shingle by characters (``char``, or ``auto`` on a no-space script)."""
    n = len(normalized)
    if spec.unit == "char":
        return np.ones(n, dtype=bool)
    if spec.unit == "word" or n == 0:
        return np.zeros(n, dtype=bool)
    offsets, data = _string_buffers(normalized)
    base = offsets[0]
    offsets = offsets - base
    data = data[base : base + offsets[-1]]
    if not (data >= 0xE0).any():  # no 3- or 4-byte character: no CJK or Southeast Asian script
        return np.zeros(n, dtype=bool)
    lead = np.flatnonzero((data & 0xC0) != 0x80)
    wide = lead[(data[lead] >= 0xE0) & (lead + 3 <= len(data))]
    b = [data[np.minimum(wide + k, len(data) - 1)].astype(np.int64) for k in range(4)]
    three = b[0] < 0xF0
    cp = np.where(
        three,
        ((b[0] & 0x0F) << 12) | ((b[1] & 0x3F) << 6) | (b[2] & 0x3F),
        ((b[0] & 0x07) << 18) | ((b[1] & 0x3F) << 12) | ((b[2] & 0x3F) << 6) | (b[3] & 0x3F),
    )
    in_range = np.zeros(len(cp), dtype=bool)
    for lo, hi in _NO_SPACE_RANGES:
        in_range |= (cp >= lo) & (cp <= hi)
    doc_of_char = np.searchsorted(offsets, lead, side="right") - 1
    letters = np.bincount(doc_of_char[data[lead] != 0x20], minlength=n)
    doc_of_wide = np.searchsorted(offsets, wide, side="right") - 1
    no_space = np.bincount(doc_of_wide[in_range], minlength=n)
    return no_space > NO_SPACE_SHARE * np.maximum(letters, 1)


def _ngrams(unit_offsets: np.ndarray, units: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shingle offsets, shingle hashes, unit counts) of n-grams over each document's units."""
    docs = len(unit_offsets) - 1
    counts = np.diff(unit_offsets)
    total = len(units)
    doc_of_unit = np.repeat(np.arange(docs), counts)
    # full n-grams: every window that stays inside one document
    windows = max(total - n + 1, 0)
    grams = np.zeros(windows, dtype=np.uint64)
    for k in range(n):  # n <= 64: a loop over gram positions, each step vectorised over the batch
        grams += units[k : k + windows] * GRAM_MULT[k]
    inside = doc_of_unit[:windows] == doc_of_unit[n - 1 : n - 1 + windows] if windows else np.zeros(0, bool)
    gram_doc = doc_of_unit[:windows][inside]
    grams = grams[inside]
    # short documents (1..n-1 units): one shingle of all their units
    short = np.flatnonzero((counts > 0) & (counts < n))
    if len(short):
        pos = np.arange(total) - np.repeat(unit_offsets[:-1], counts)
        weighted = np.where(pos < n, units * GRAM_MULT[np.minimum(pos, n - 1)], np.uint64(0))
        sums = _exact_segment_sums(weighted, unit_offsets, short)
        grams = np.concatenate([grams, sums ^ SHORT_SALT])
        gram_doc = np.concatenate([gram_doc, short])
    order = np.argsort(gram_doc, kind="stable")
    hashes = _splitmix64(grams[order])
    per_doc = np.bincount(gram_doc, minlength=docs) if docs else np.zeros(0, np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_doc)]).astype(np.int64)
    return offsets, hashes, counts


def _exact_segment_sums(values: np.ndarray, offsets: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Sum of ``values[offsets[d]:offsets[d+1]]`` for each ``d`` in ``docs`` (all non-empty)."""
    csum = np.concatenate([[np.uint64(0)], np.cumsum(values, dtype=np.uint64)])
    return csum[offsets[docs + 1]] - csum[offsets[docs]]


def shingle(texts: pa.Array, spec: ShingleSpec) -> Shingles:
    """Normalize and shingle a batch of texts (an Arrow string array) in one vectorised pass."""
    normalized = normalize(texts)
    n_docs = len(normalized)
    char_mode = uses_char_units(normalized, spec)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for is_char in (False, True):
        idx = np.flatnonzero(char_mode == is_char)
        if len(idx) == 0:
            continue
        subset = normalized if len(idx) == n_docs else normalized.take(pa.array(idx))
        unit_offsets, units = _char_units(subset) if is_char else _word_units(subset)
        n = spec.char_ngram if is_char else spec.word_ngram
        offsets, hashes, counts = _ngrams(unit_offsets, units, n)
        parts.append((idx, offsets, hashes, np.where(counts >= n, 2, np.where(counts > 0, 1, 0))))
    # stitch the word and char subsets back into document order
    per_doc = np.zeros(n_docs, dtype=np.int64)
    kind = np.zeros(n_docs, dtype=np.int8)
    for idx, offsets, _, k in parts:
        per_doc[idx] = np.diff(offsets)
        kind[idx] = k
    out_offsets = np.concatenate([[0], np.cumsum(per_doc)]).astype(np.int64)
    out = np.zeros(int(out_offsets[-1]), dtype=np.uint64)
    for idx, offsets, hashes, _ in parts:
        lengths = np.diff(offsets)
        dest = np.repeat(out_offsets[idx], lengths) + (
            np.arange(len(hashes)) - np.repeat(offsets[:-1], lengths)
        )
        out[dest] = hashes
    status = np.array([STATUS_EMPTY, STATUS_SHORT, STATUS_SHINGLED], dtype=object)[kind]
    return Shingles(offsets=out_offsets, hashes=out, status=status)
