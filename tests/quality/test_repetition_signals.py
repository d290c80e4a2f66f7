"""The batch n-gram signals agree with a plain-Python implementation of the same definitions."""

from __future__ import annotations

import random
from collections import Counter

import pyarrow as pa
import pytest

from dq_engine.quality import repetition
from dq_engine.quality.repetition import dup_field, ngram_signals, top_field


def _reference(text: str, n: int, top: bool) -> float:
    words, chars = text.split(), len(text)
    if len(words) < n or chars == 0:
        return 0.0
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if top:
        gram, count = max(Counter(grams).items(), key=lambda kv: (kv[1], len(" ".join(kv[0]))))
        return count * len(" ".join(gram)) / chars
    seen: set[tuple[str, ...]] = set()
    covered = [False] * len(words)
    for i, g in enumerate(grams):
        if g in seen:
            covered[i : i + n] = [True] * n
        seen.add(g)
    return sum(len(w) for w, c in zip(words, covered, strict=True) if c) / chars


@pytest.mark.parametrize("chunk_words", [7, 50, 20_000])  # documents spread over many hash-table chunks
def test_matches_reference(monkeypatch: pytest.MonkeyPatch, chunk_words: int) -> None:
    monkeypatch.setattr(repetition, "_CHUNK_WORDS", chunk_words)
    rng = random.Random(5)
    vocab = ["a", "b", "c", "d", "e", "the", "cat", "sat", "on", "mat", "Ünï", "日本"]
    texts: list[str | None] = [
        " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 60))) for _ in range(300)
    ]
    texts += ["", None, "x", " ".join(["q"] * 200), "  lead  and   trail  "]
    out = ngram_signals(pa.array(texts), (2, 3, 4), (5, 6, 7, 8, 9, 10))
    for i, text in enumerate(texts):
        for n in (2, 3, 4):
            assert out[top_field(n)][i] == pytest.approx(_reference(text or "", n, True)), (i, n)
        for n in (5, 6, 7, 8, 9, 10):
            assert out[dup_field(n)][i] == pytest.approx(_reference(text or "", n, False)), (i, n)
