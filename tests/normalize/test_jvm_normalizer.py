"""The Java normalizer (``engine: jvm``) rewrites every text exactly as the SQL reference does.

The reference is the Arrow Unicode-form UDF plus the ``regexp_replace`` chain of
``NormalizeText.normalized``; the Java class applies the same pattern strings with the same regex
engine. The texts mix every character class a pattern names (CR/LF, C0/C1 controls, zero-width and
soft hyphen, the Unicode spaces, blank-line runs) with combining marks, Hangul jamo, compatibility
characters and code points beyond the BMP, under every option setting.
"""

from __future__ import annotations

import random

import pytest
from pyspark.sql import SparkSession

from dq_engine.core.context import RunContext
from dq_engine.core.stage import StageError
from dq_engine.normalize import NormalizeText
from dq_engine.normalize import text as text_module

PIECES = [
    "word", "Wörd", "cafe\u0301", "e\u0301\u0323", "\u1100\u1161\u11a8", "한국어", "\uff21\uff22",
    "\ufb01", "\u2460", "\u00bd", "中文", "😀", "𝟙", "١٢", "ǅ", "Å", "\u212b", "\u0958",
    " ", " ", "  ", "\t", "\n", "\n\n", "\n\n\n\n", "\r\n", "\r", "\x00", "\x07", "\x0b", "\x0c",
    "\x1b", "\x7f", "\x85", "\x9f", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u00a0",
    "\u2003", "\u202f", "\u205f", "\u3000", "\u2028", "\u1680", ".", "!",
]  # fmt: skip


def _docs(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 60))) for _ in range(n)]


def _sparse_docs(n: int, seed: int) -> list[str]:
    """Clean prose (single spaces, single line breaks) with zero to two pieces put anywhere, the start
    and end included: the Java class skips a pattern when its text cannot change, and each of these
    texts changes under at most a few patterns, so each skip decision is tested on its own."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(["word", "Wörd", "a", "text", "한국어", "."]) for _ in range(rng.randint(1, 12))]
        text = "".join(w + rng.choice([" ", " ", "\n"]) for w in words)[:-1]
        for _ in range(rng.randint(0, 2)):
            at = rng.choice([0, len(text), rng.randint(0, len(text))])
            text = text[:at] + rng.choice(PIECES) + text[at:]
        out.append(text)
    return out


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"form": "NFKC"},
        {"form": "none", "max_blank_lines": 0},
        {"strip_control": False, "strip_zero_width": False, "collapse_spaces": False, "strip": False},
        {"max_blank_lines": 3},
        {"max_blank_lines": -1},
        # U+0085 kept: a text that ends in it is stripped before it ($ matches before a final NEL)
        {"strip_control": False, "strip_zero_width": False},
    ],
    ids=["default", "nfkc", "no-form", "form-only", "blank-3", "blank-any", "keep-control"],
)
def test_jvm_equals_the_sql_reference(
    spark: SparkSession, ctx: RunContext, params: dict[str, object]
) -> None:
    docs = [*_docs(400, seed=len(params)), *_sparse_docs(400, seed=len(params)), "", "   ", "\r\n\r\n", None]
    df = spark.createDataFrame([(str(i), t) for i, t in enumerate(docs)], "doc_id string, text string")
    sql = NormalizeText({**params, "engine": "sql"}).apply(df, ctx)
    jvm = NormalizeText({**params, "engine": "jvm"}).apply(df, ctx)
    want = {r["doc_id"]: (r["text"], r["text_chars_removed"]) for r in sql.collect()}
    got = {r["doc_id"]: (r["text"], r["text_chars_removed"]) for r in jvm.collect()}
    differ = [(docs[int(k)], want[k], got[k]) for k in want if want[k] != got[k]]
    assert not differ, differ[:3]
    assert sum(1 for t, _ in want.values() if t) > 600  # not everything collapsed to empty


def test_the_jvm_engine_refuses_without_its_class(
    spark: SparkSession, ctx: RunContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = spark.createDataFrame([("1", "x")], "doc_id string, text string")
    monkeypatch.setattr(text_module, "JVM_CLASS", "io.dqengine.normalize.NoSuchClass")
    with pytest.raises(StageError, match="engine jvm needs"):
        NormalizeText({"engine": "jvm"}).apply(df, ctx)
    # auto falls back to the reference
    assert NormalizeText({"engine": "auto"}).apply(df, ctx).head()["text"] == "x"
