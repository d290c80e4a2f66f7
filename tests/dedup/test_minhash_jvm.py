"""The Java MinHasher returns exactly the shingles and band hashes of the numpy reference.

``dq_engine.dedup.shingles`` / ``minhash`` (numpy over Arrow batches) define near_dedup's hashes;
``io.dqengine.dedup.MinHasher`` must reproduce them bit for bit, so that either engine can read and
extend a ``silver.minhash_index`` the other wrote.
"""

from __future__ import annotations

import random
from functools import partial

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bench.dedup_corpus import generate, generate_realworld
from dq_engine.core.context import RunContext
from dq_engine.core.stage import StageError
from dq_engine.dedup import NearDedup, jvm
from dq_engine.dedup.arrow_batches import (
    SHINGLE_SCHEMA,
    SIGNATURE_SCHEMA,
    LshSpec,
    band_batches,
    shingle_batches,
)
from dq_engine.dedup.shingles import ShingleSpec

# Pieces that stress normalization and unit splitting: compatibility forms, case pairs whose
# lower-case form differs in UTF-8 length, marks, digits of other scripts, no-space scripts,
# characters beyond the BMP, separators of every kind.
PIECES = [
    "the", "The", "THE", "quick", "brown", "fox", "Straße", "İstanbul", "ǅemal", "Σίσυφος", "ΣΑΣ", "ﬁne",
    "Ｆｕｌｌ", "①②③", "x²", "café", "cafe\u0301", "e\u0301\u0301", "٣٤٥", "१२३", "東京都",
    "日本語の文章です",
    "ภาษาไทย", "ລາວ", "ខ្មែរ", "မြန်မာ", "བོད", "한국어", "𠀋𠀍", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "😀", "🇫🇷", "Ⅻ", "ǈ", "K", "Å",
    "-", "—", "...", ",", " ", "  ", "\n", "\t", "\u00a0", "\u200b", "\u3000", "'", "’", "_", "#", "$", "%",
    "0", "12", "3.14", "ID-42", "a", "b", "c", "word", "again", "again",
]  # fmt: skip


def _random_docs(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        pieces = [rng.choice(PIECES) for _ in range(rng.randint(0, 40))]
        docs.append("".join(p + (" " if rng.random() < 0.6 else "") for p in pieces))
    return docs


def _frame(spark: SparkSession) -> DataFrame:
    texts = [d["text"] for d in generate(600, seed=5)]
    texts += [d["text"] for d in generate_realworld(120, seed=6)]
    texts += _random_docs(1_500, seed=7)
    texts += ["", " ", "!!!", "word", "a b c d", "a b c d e", "x " * 5_000, "東" * 3, "東京 " * 40, None]  # type: ignore[list-item]
    rows = [(f"d{i:05d}", t) for i, t in enumerate(texts)]
    return spark.createDataFrame(rows, "doc_id string, text string").repartition(3)


def _lsh(unit: str, word_ngram: int = 5, char_ngram: int = 5, num_perm: int = 128) -> LshSpec:
    return LshSpec(ShingleSpec(unit, word_ngram, char_ngram), num_perm=num_perm, bands=16, rows=8, seed=1)


@pytest.mark.parametrize(
    "spec",
    [_lsh("auto"), _lsh("char", word_ngram=1, char_ngram=4, num_perm=200)],
    ids=["auto-5", "char-4-200perm"],
)
def test_band_hashes_equal_the_numpy_reference(spark: SparkSession, spec: LshSpec) -> None:
    df = _frame(spark)
    reference = df.mapInArrow(partial(band_batches, spec=spec), SIGNATURE_SCHEMA).cache()
    java = (
        df.select("doc_id", jvm.bands_column(spark, F.col("text"), spec).alias("s"))
        .select("doc_id", "s.status", "s.shingle_count", "s.bands")
        .cache()
    )
    assert reference.count() == java.count() == df.count()
    assert reference.exceptAll(java).count() == 0
    assert java.exceptAll(reference).count() == 0
    # the comparison is not vacuous: every outcome occurs, and documents really do share buckets
    statuses = {r["status"] for r in java.select("status").distinct().collect()}
    sizes = {"word": [spec.shingles.word_ngram], "char": [spec.shingles.char_ngram]}
    short_possible = max(sizes.get(spec.shingles.unit, [*sizes["word"], *sizes["char"]])) > 1
    assert statuses == {"shingled", "empty"} | ({"short"} if short_possible else set())
    shared = java.select(F.posexplode("bands")).groupBy("pos", "col").count().where("count > 1").count()
    assert shared > 50
    reference.unpersist()
    java.unpersist()


def test_shingle_hashes_equal_the_numpy_reference(spark: SparkSession) -> None:
    spec = ShingleSpec(unit="auto")
    df = _frame(spark)
    reference = df.mapInArrow(partial(shingle_batches, spec=spec), SHINGLE_SCHEMA)
    java = df.select("doc_id", jvm.shingles_column(spark, F.col("text"), spec).alias("shingles"))
    # the order of a document's shingles is not part of the contract (sets are compared); sort both
    ref = reference.select("doc_id", F.sort_array("shingles").alias("s")).cache()
    out = java.select("doc_id", F.sort_array("shingles").alias("s")).cache()
    assert ref.exceptAll(out).count() == 0
    assert out.exceptAll(ref).count() == 0
    assert out.where(F.size("s") > 100).count() > 10
    ref.unpersist()
    out.unpersist()


def test_bad_config_is_refused(spark: SparkSession) -> None:
    jvm_handle = spark.sparkContext._jvm
    assert jvm_handle is not None
    with pytest.raises(Exception, match="mode must be bands or shingles"):
        jvm.java_udfs.new_instance(
            spark, jvm.JVM_CLASS, jvm.hasher_config(ShingleSpec()).replace("shingles", "x", 1)
        )


def test_stage_output_is_the_same_on_both_engines(spark: SparkSession, ctx: RunContext) -> None:
    docs = generate(400, seed=11)
    df = spark.createDataFrame([(d["id"], d["text"]) for d in docs], "doc_id string, text string")
    outputs = {}
    for engine in ("sql", "jvm"):
        stage = NearDedup({"threshold": 0.8, "engine": engine})
        try:
            scored = stage.score(df, ctx).select("doc_id", "cluster_id", "near_dup_of", stage.score_column)
            outputs[engine] = {tuple(r) for r in scored.collect()}
        finally:
            stage.cleanup(ctx)
    assert outputs["sql"] == outputs["jvm"]
    assert sum(1 for r in outputs["jvm"] if r[2] is not None) > 20  # near-duplicates were found


def test_engine_jvm_refuses_when_the_class_is_missing(
    spark: SparkSession, ctx: RunContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jvm, "JVM_CLASS", "io.dqengine.dedup.NoSuchClass")
    stage = NearDedup({"engine": "jvm"})
    df = spark.createDataFrame([("a", "some text here")], "doc_id string, text string")
    try:
        with pytest.raises(StageError, match="engine jvm needs io.dqengine.dedup.NoSuchClass"):
            stage.score(df, ctx)
    finally:
        stage.cleanup(ctx)
