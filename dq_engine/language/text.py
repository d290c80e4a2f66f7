"""Text preparation for language models and dominant-script detection, vectorised over Arrow batches."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# C0/C1 controls (pycld2 raises on some, fastText reads "\n" as end of input) and the Unicode line and
# paragraph separators become spaces.
_CONTROL_RE2 = r"[\x00-\x1f\x7f-\x9f\x{2028}\x{2029}]+"
_CONTROL_PY = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean_for_model(text: str, max_chars: int) -> str:
    """One text as a model sees it: the first ``max_chars`` characters, controls as single spaces."""
    return _SURROGATES.sub("", _CONTROL_PY.sub(" ", text[:max_chars])).strip()


def clean_batch(texts: pa.Array, max_chars: int) -> pa.Array:
    """:func:`clean_for_model` for a whole Arrow string array (nulls become empty strings)."""
    arr = pc.fill_null(texts.cast(pa.large_string()), "")
    arr = pc.utf8_slice_codeunits(arr, 0, max_chars)
    arr = pc.replace_substring_regex(arr, _CONTROL_RE2, " ")
    return pc.utf8_trim_whitespace(arr)


# (first code point, ISO 15924 code) for the scripts of the languages the backends know; code points
# outside every range (digits, punctuation, emoji, combining marks) count for no script.
_RANGES: list[tuple[int, int, str]] = [
    (0x0041, 0x005A, "Latn"), (0x0061, 0x007A, "Latn"), (0x00C0, 0x024F, "Latn"), (0x1E00, 0x1EFF, "Latn"),
    (0x0370, 0x03FF, "Grek"), (0x1F00, 0x1FFF, "Grek"), (0x0400, 0x052F, "Cyrl"), (0x0530, 0x058F, "Armn"),
    (0x0590, 0x05FF, "Hebr"), (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0x08A0, 0x08FF, "Arab"),
    (0x0900, 0x097F, "Deva"), (0x0980, 0x09FF, "Beng"), (0x0A00, 0x0A7F, "Guru"), (0x0A80, 0x0AFF, "Gujr"),
    (0x0B00, 0x0B7F, "Orya"), (0x0B80, 0x0BFF, "Taml"), (0x0C00, 0x0C7F, "Telu"), (0x0C80, 0x0CFF, "Knda"),
    (0x0D00, 0x0D7F, "Mlym"), (0x0D80, 0x0DFF, "Sinh"), (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Laoo"),
    (0x0F00, 0x0FFF, "Tibt"), (0x1000, 0x109F, "Mymr"), (0x10A0, 0x10FF, "Geor"), (0x1100, 0x11FF, "Hang"),
    (0x1200, 0x139F, "Ethi"), (0x1780, 0x17FF, "Khmr"), (0x3040, 0x309F, "Hira"), (0x30A0, 0x30FF, "Kana"),
    (0x3130, 0x318F, "Hang"), (0x3400, 0x4DBF, "Hani"), (0x4E00, 0x9FFF, "Hani"), (0xAC00, 0xD7AF, "Hang"),
    (0xF900, 0xFAFF, "Hani"), (0xFB1D, 0xFB4F, "Hebr"), (0xFB50, 0xFDFF, "Arab"), (0xFE70, 0xFEFF, "Arab"),
    (0x20000, 0x2FFFF, "Hani"),
]  # fmt: skip
SCRIPTS: list[str] = sorted({s for _, _, s in _RANGES})
_BOUNDS = np.array(sorted([(lo, hi, SCRIPTS.index(s)) for lo, hi, s in _RANGES]), dtype=np.int64)
_KANA = {SCRIPTS.index("Hira"), SCRIPTS.index("Kana")}
_HAN = SCRIPTS.index("Hani")


# One table entry per code point of the Basic Multilingual Plane: a gather instead of a search per char.
_BMP = np.full(0x10000, -1, dtype=np.int8)
for _lo, _hi, _sid in _BOUNDS:
    if _lo < 0x10000:
        _BMP[_lo : min(_hi, 0xFFFF) + 1] = _sid


def script_ids(codepoints: np.ndarray) -> np.ndarray:
    """Index into :data:`SCRIPTS` per code point, -1 for code points of no listed script."""
    bmp = codepoints < 0x10000
    out = np.where(bmp, _BMP[np.where(bmp, codepoints, 0)], -1).astype(np.int64)
    # beyond the BMP only the Han extension planes are listed
    return np.where((codepoints >= 0x20000) & (codepoints <= 0x2FFFF), _HAN, out)


def dominant_scripts(texts: pa.Array) -> tuple[list[str | None], np.ndarray]:
    """Most frequent script per text (``Jpan`` for Han mixed with kana) and its count of letters.

    Texts without letters of any listed script get ``None`` and 0.
    """
    arr = pc.fill_null(texts.cast(pa.large_string()), "")
    n = len(arr)
    lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    joined = "".join(arr.to_pylist())
    cps = np.frombuffer(joined.encode("utf-32-le", errors="replace"), dtype=np.uint32).astype(np.int32)
    doc = np.repeat(np.arange(n), lengths)
    sid = script_ids(cps)
    keep = sid >= 0
    counts = np.bincount(doc[keep] * len(SCRIPTS) + sid[keep], minlength=n * len(SCRIPTS))
    counts = counts.reshape(n, len(SCRIPTS))
    best = counts.argmax(axis=1)
    letters = counts.sum(axis=1)
    kana = counts[:, sorted(_KANA)].sum(axis=1)
    names = np.array([*SCRIPTS, "Jpan", None], dtype=object)
    idx = np.where((kana > 0) & np.isin(best, [*_KANA, _HAN]), len(SCRIPTS), best)
    idx = np.where(letters == 0, len(SCRIPTS) + 1, idx)
    return list(names[idx]), letters
