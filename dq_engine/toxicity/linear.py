"""alt-profanity-check's model, scored over whole Arrow batches.

The ``alt-profanity-check`` wheel ships a scikit-learn ``TfidfVectorizer`` (lower-cased ``\\w\\w+``
tokens, English stop words dropped, smooth idf, L2 norm) and a ``CalibratedClassifierCV`` of five
``LinearSVC`` folds with sigmoid calibration. Its own ``predict_prob`` tokenizes in Python, one document
at a time (about 1,000 300-word documents/s here). This module reads the same fitted numbers out of the
wheel once per process and computes the identical probability with pyarrow (RE2 tokenization, hash
lookup of the vocabulary) and numpy (sparse dot products as bincounts), for every document of a batch at
once: for each fold ``k``, ``f_k = w_k . x / ||x|| + b_k`` with ``x`` the tf-idf vector, ``p_k = 1 /
(1 + exp(a_k f_k + c_k))``, and the probability is the mean of ``p_k``.

``tests/toxicity`` checks the result against ``profanity_check.predict_prob`` on the shipped sample.
Python's ``\\w`` and RE2's ``[\\p{L}\\p{N}_]`` can differ on rare Unicode marks; on such characters the two
implementations may split tokens differently.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NON_WORD = r"[^\p{L}\p{N}_]+"


_ASCII_WORD = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _ASCII_WORD[_c] = True


def _ascii_tokens(texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Word tokens of ASCII-only texts by a byte lookup table: (document index, token) per token."""
    texts = pa.concat_arrays([texts.cast(pa.large_string())])  # own buffers, offset 0
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[: len(texts) + 1]
    data_buf = texts.buffers()[2]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8)[: offsets[-1]]
        if data_buf is not None
        else np.zeros(0, np.uint8)
    )
    word = _ASCII_WORD[data]
    # a document boundary always separates tokens
    before = np.concatenate([[False], word[:-1]])
    after = np.concatenate([word[1:], [False]])
    inner = offsets[1:-1]
    before[inner[inner < len(word)]] = False
    after[inner[inner > 0] - 1] = False
    starts = np.nonzero(word & ~before)[0]
    ends = np.nonzero(word & ~after)[0] + 1
    token_offsets = np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64)
    tokens = pa.LargeStringArray.from_buffers(
        len(starts), pa.py_buffer(token_offsets), pa.py_buffer(np.ascontiguousarray(data[word]))
    )
    return np.searchsorted(offsets, starts, side="right") - 1, tokens


def tokenize(texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Lower-cased word tokens (maximal runs of letters, digits and ``_``): document index and token.

    RE2's Unicode split costs about a microsecond per token, so ASCII-only texts (most English) take a
    byte lookup-table path that gives the same tokens; the rest use the regex.
    """
    low = pc.utf8_lower(pc.fill_null(texts.cast(pa.large_string()), ""))
    is_ascii = pc.string_is_ascii(low).to_numpy(zero_copy_only=False)
    docs: list[np.ndarray] = []
    flats: list[pa.Array] = []
    fast = np.nonzero(is_ascii)[0]
    if len(fast):
        d, toks = _ascii_tokens(low.take(pa.array(fast)))
        docs.append(fast[d])
        flats.append(toks)
    slow = np.nonzero(~is_ascii)[0]
    if len(slow):
        split = pc.split_pattern_regex(low.take(pa.array(slow)), _NON_WORD)
        offsets = split.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
        docs.append(slow[np.repeat(np.arange(len(slow)), np.diff(offsets))])
        flats.append(split.flatten().cast(pa.large_string()))
    if not flats:
        return np.zeros(0, dtype=np.int64), pa.array([], type=pa.large_string())
    return np.concatenate(docs), pa.concat_arrays(flats)


@dataclass
class LinearTfidfModel:
    """A fitted tf-idf + calibrated linear classifier, as plain arrays."""

    vocabulary: pa.Array  # token strings, position = feature index
    idf: np.ndarray  # (V,)
    weights: np.ndarray  # (K, V): one row per calibrated fold
    intercepts: np.ndarray  # (K,)
    cal_a: np.ndarray  # (K,)
    cal_b: np.ndarray  # (K,)

    def predict_proba(self, texts: pa.Array, max_chars: int | None = None) -> np.ndarray:
        """Probability of the positive class for each text (nulls and texts without tokens: the
        classifier's value for an empty vector)."""
        arr = pc.fill_null(texts.cast(pa.large_string()), "")
        if max_chars is not None:
            arr = pc.utf8_slice_codeunits(arr, 0, max_chars)
        n = len(arr)
        doc, flat = tokenize(arr)
        feature = pc.index_in(flat, value_set=self.vocabulary)
        # \w\w+: single-character tokens never match; those and out-of-vocabulary tokens carry nothing
        keep = pc.and_(pc.is_valid(feature), pc.greater_equal(pc.utf8_length(flat), 2))
        keep_np = keep.to_numpy(zero_copy_only=False)
        feat = pc.filter(feature, keep).to_numpy(zero_copy_only=False).astype(np.int64)
        doc = doc[keep_np]
        decision = np.tile(self.intercepts, (n, 1)).astype(np.float64)
        if len(feat):
            vocab_size = len(self.idf)
            pair, first = pd.factorize(doc * vocab_size + feat)
            tf = np.bincount(pair).astype(np.float64)
            pair_doc, pair_feat = first // vocab_size, first % vocab_size
            tfidf = tf * self.idf[pair_feat]
            norm = np.sqrt(np.bincount(pair_doc, weights=tfidf**2, minlength=n))
            scale = np.where(norm > 0, 1.0 / np.where(norm > 0, norm, 1.0), 0.0)
            for k in range(len(self.intercepts)):
                dot = np.bincount(pair_doc, weights=tfidf * self.weights[k, pair_feat], minlength=n)
                decision[:, k] += dot * scale
        prob = 1.0 / (1.0 + np.exp(decision * self.cal_a + self.cal_b))
        return np.asarray(prob.mean(axis=1))


def _from_profanity_check() -> LinearTfidfModel:
    import joblib

    data = resources.files("profanity_check") / "data"
    vectorizer = joblib.load(str(data / "vectorizer.joblib"))
    model = joblib.load(str(data / "model.joblib"))
    vocab = sorted(vectorizer.vocabulary_.items(), key=lambda kv: kv[1])
    if [i for _, i in vocab] != list(range(len(vocab))):
        raise ValueError("profanity_check vocabulary is not a dense index")
    if vectorizer.lowercase is not True or vectorizer.norm != "l2" or vectorizer.ngram_range != (1, 1):
        raise ValueError(f"unsupported vectorizer settings in profanity_check: {vectorizer!r}")
    folds = model.calibrated_classifiers_
    if any(len(f.calibrators) != 1 for f in folds) or list(model.classes_) != [0, 1]:
        raise ValueError("profanity_check model is not a binary sigmoid-calibrated classifier")
    return LinearTfidfModel(
        vocabulary=pa.array([t for t, _ in vocab], type=pa.large_string()),
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        weights=np.vstack([np.asarray(f.estimator.coef_, dtype=np.float64).ravel() for f in folds]),
        intercepts=np.array([float(np.ravel(f.estimator.intercept_)[0]) for f in folds]),
        cal_a=np.array([float(f.calibrators[0].a_) for f in folds]),
        cal_b=np.array([float(f.calibrators[0].b_) for f in folds]),
    )


_MODEL: LinearTfidfModel | None = None
_LOCK = threading.Lock()


def profanity_model() -> LinearTfidfModel:
    """The alt-profanity-check model, loaded once per Python process."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            _MODEL = _from_profanity_check()
        return _MODEL
