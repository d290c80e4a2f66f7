"""near_dedup: clusters, keepers, exact similarities, bad input, determinism and the cross-batch index."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dq_engine.core.context import RunContext
from dq_engine.core.pipeline import Pipeline
from dq_engine.core.stage import StageError
from dq_engine.dedup import NearDedup
from dq_engine.dedup.minhash import optimal_banding
from dq_engine.dedup.shingles import ShingleSpec, normalize, shingle

VOCAB_RNG = random.Random(7)
VOCAB = sorted(
    {
        "".join(VOCAB_RNG.choice("abcdefghijklmnopqrst") for _ in range(VOCAB_RNG.randint(3, 9)))
        for _ in range(4000)
    }
)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(words))


def _edit(rng: random.Random, text: str, edits: int) -> str:
    words = text.split()
    for _ in range(edits):
        words[rng.randrange(len(words))] = rng.choice(VOCAB)
    return " ".join(words)


def _exact_jaccard(a: str, b: str, spec: ShingleSpec | None = None) -> float:
    sh = shingle(pa.array([a, b]), spec or ShingleSpec())
    sa = set(sh.hashes[sh.offsets[0] : sh.offsets[1]].tolist())
    sb = set(sh.hashes[sh.offsets[1] : sh.offsets[2]].tolist())
    return len(sa & sb) / len(sa | sb)


def _run(df: DataFrame, ctx: RunContext, **params: object) -> dict[str, dict]:  # type: ignore[type-arg]
    pipeline = Pipeline([NearDedup(params)])
    try:
        out = pipeline.decide(pipeline.annotate(df, ctx), ctx).annotated
        rows = out.select(
            "doc_id", "cluster_id", "near_dup_of", "near_dedup_score", "near_dedup_status", "_decision_reason"
        ).collect()
    finally:
        pipeline.cleanup(ctx)
    return {r["doc_id"]: r.asDict() for r in rows}


def test_clusters_keepers_and_exact_similarity(spark: SparkSession, ctx: RunContext) -> None:
    rng = random.Random(1)
    base = _text(rng, 120)
    near = _edit(rng, base, 2)
    other = _text(rng, 120)
    rows = [("a2", base), ("a1", near), ("b", other), ("c", _edit(rng, other, 60))]
    got = _run(spark.createDataFrame(rows, "doc_id string, text string"), ctx, keep="smallest_id")
    assert got["a1"]["near_dup_of"] is None and got["a1"]["cluster_id"] == "a1"
    assert got["a2"]["near_dup_of"] == "a1" and got["a2"]["cluster_id"] == "a1"
    assert got["a2"]["_decision_reason"] == "near_duplicate"
    assert got["a2"]["near_dedup_score"] == pytest.approx(_exact_jaccard(base, near))
    assert got["a1"]["near_dedup_score"] == 1.0  # the keeper of a cluster
    # half the words replaced: far below 0.8, a singleton
    assert (
        got["c"]["near_dup_of"] is None
        and got["c"]["cluster_id"] == "c"
        and got["c"]["near_dedup_score"] is None
    )
    assert {r["near_dedup_status"] for r in got.values()} == {"shingled"}


def test_keeper_rules(spark: SparkSession, ctx: RunContext) -> None:
    rng = random.Random(2)
    base = _text(rng, 100)
    longer = base + " " + _text(rng, 3)
    df = spark.createDataFrame(
        [("x1", base, "2026-01-02 00:00:00", 0.1), ("x2", longer, "2026-01-01 00:00:00", 0.9)],
        "doc_id string, text string, ingested_at string, quality double",
    ).withColumn("ingested_at", F.col("ingested_at").cast("timestamp"))
    assert _run(df, ctx, keep="earliest")["x1"]["near_dup_of"] == "x2"
    assert _run(df, ctx, keep="longest")["x1"]["near_dup_of"] == "x2"
    assert _run(df, ctx, keep="score", keep_score_column="quality")["x1"]["near_dup_of"] == "x2"
    assert _run(df, ctx, keep="smallest_id")["x2"]["near_dup_of"] == "x1"


def test_params_are_checked() -> None:
    with pytest.raises(StageError, match="both bands and rows"):
        NearDedup({"bands": 4})
    with pytest.raises(StageError, match="exceeds num_perm"):
        NearDedup({"bands": 20, "rows": 10})
    with pytest.raises(StageError, match="keep_score_column"):
        NearDedup({"keep": "score"})
    assert NearDedup({"threshold": 0.8}).params.banding().num_perm <= 128


def test_banding_is_derived_from_the_threshold() -> None:
    strict, loose = optimal_banding(0.9, 128, 0.05, 0.95), optimal_banding(0.5, 128, 0.05, 0.95)
    assert strict.rows > loose.rows  # a higher threshold needs more rows per band
    assert (
        optimal_banding(0.8, 128, 0.05, 0.95).false_negative
        < optimal_banding(0.8, 128, 0.5, 0.5).false_negative
    )


def test_bad_input_has_a_defined_outcome(spark: SparkSession, ctx: RunContext) -> None:
    rng = random.Random(3)
    zh = (
        "我们的产品质量很好欢迎购买我们的产品并且提供完善的售后服务和技术支持让每一位客户都满意"
        "公司成立于二零零五年总部位于上海在全国设有三十多个办事处员工超过两千人主要业务包括软件开发"
    )
    rows = [
        ("empty1", ""),
        ("empty2", "   \n\t "),
        ("empty3", "!!! ... ???"),
        ("emoji", "🙂🙂🙂"),
        ("null", None),
        ("short1", "Click here"),
        ("short2", "click HERE!"),
        ("short3", "Unsubscribe now"),
        ("repeat", " ".join(["spam"] * 100_000)),
        ("repeat2", " ".join(["spam"] * 99_000)),
        ("zh1", zh),
        ("zh2", zh.replace("售后服务", "售前服务")),
        ("zh3", "今天天气很好我们一起去公园散步然后去看电影晚上再去吃饭"),
        ("huge", _text(rng, 800_000)),  # about 5 MB of text
    ]
    got = _run(spark.createDataFrame(rows, "doc_id string, text string"), ctx)
    for doc in ("empty1", "empty2", "empty3", "emoji", "null"):
        assert got[doc]["near_dedup_status"] == "empty" and got[doc]["near_dup_of"] is None, doc
        assert got[doc]["cluster_id"] == doc  # never all in one cluster
    # short documents: one whole-text shingle; they match only their identical normalized twin
    assert got["short1"]["near_dedup_status"] == "short"
    assert {got["short1"]["near_dup_of"], got["short2"]["near_dup_of"]} == {None, "short1"}
    assert got["short3"]["near_dup_of"] is None and got["short3"]["cluster_id"] == "short3"
    # one token repeated: a single distinct shingle, equal sets -> duplicates of each other
    assert got["repeat2"]["near_dup_of"] == "repeat" or got["repeat"]["near_dup_of"] == "repeat2"
    # CJK without spaces: char shingles find the edited copy, not the unrelated sentence
    assert _exact_jaccard(zh, zh.replace("售后服务", "售前服务"), ShingleSpec(unit="auto")) > 0.85
    assert {got["zh1"]["near_dup_of"], got["zh2"]["near_dup_of"]} == {None, "zh1"}
    assert got["zh3"]["near_dup_of"] is None
    assert got["huge"]["near_dedup_status"] == "shingled" and got["huge"]["near_dup_of"] is None


def test_identical_documents_by_the_thousand(spark: SparkSession, ctx: RunContext) -> None:
    rng = random.Random(4)
    template = _text(rng, 80)
    rows = [(f"t{i:04d}", template if i % 2 else _edit(rng, template, 1)) for i in range(2000)]
    rows += [(f"u{i}", _text(rng, 80)) for i in range(50)]
    df = spark.createDataFrame(rows, "doc_id string, text string").repartition(4)
    got = _run(df, ctx, keep="smallest_id")
    dropped = [d for d, r in got.items() if r["_decision_reason"] == "near_duplicate"]
    assert len(dropped) == 1999
    assert {got[d]["near_dup_of"] for d in dropped} == {"t0000"}
    assert all(got[f"u{i}"]["near_dup_of"] is None for i in range(50))


def test_same_result_for_any_partitioning(spark: SparkSession, ctx: RunContext) -> None:
    rng = random.Random(5)
    rows = []
    for c in range(40):
        base = _text(rng, 60)
        rows += [(f"c{c}_{k}", base if k == 0 else _edit(rng, base, 1)) for k in range(1 + c % 3)]
    df = spark.createDataFrame(rows, "doc_id string, text string")
    one = _run(df.repartition(1), ctx)
    seven = _run(df.repartition(7), ctx)
    again = _run(df.repartition(3, "text"), ctx)
    assert one == seven == again
    assert sum(r["_decision_reason"] == "near_duplicate" for r in one.values()) > 20


def test_flagged_documents_are_neither_compared_nor_kept(spark: SparkSession, ctx: RunContext) -> None:
    from dq_engine.quality.length import LengthFilter

    rng = random.Random(6)
    base = _text(rng, 30)
    shorter = base.rsplit(" ", 1)[0]  # Jaccard 25/27 with the long one
    rows = [("a", base + " and more"), ("b", shorter)]
    pipeline = Pipeline([LengthFilter({"max_chars": len(base)}, label="length"), NearDedup()])
    df = spark.createDataFrame(rows, "doc_id string, text string")
    out = {r["doc_id"]: r for r in pipeline.decide(pipeline.annotate(df, ctx), ctx).annotated.collect()}
    pipeline.cleanup(ctx)
    assert out["a"]["_decision_reason"] == "too_long"
    assert out["a"]["near_dedup_status"] == "skipped"
    assert out["b"]["_decision_reason"] is None  # not dropped in favour of a document that is dropped


def test_shingles_are_vectorised_consistently() -> None:
    texts = ["Hello, World! this is a test of the shingles", "hello world THIS is a test of the shingles?"]
    sh = shingle(pa.array(texts + ["x"]), ShingleSpec())
    assert np.array_equal(sh.hashes[sh.offsets[0] : sh.offsets[1]], sh.hashes[sh.offsets[1] : sh.offsets[2]])
    # a batch and its slices give the same hashes: no dependence on batch composition
    alone = shingle(pa.array(texts[1:]), ShingleSpec())
    assert np.array_equal(alone.hashes[: alone.offsets[1]], sh.hashes[sh.offsets[1] : sh.offsets[2]])
    assert list(sh.status) == ["shingled", "shingled", "short"]


def test_normalization_is_compatibility_decomposition() -> None:
    # NFKD, named as such: pyarrow 25 answers NFKD to a request for NFKC (apache/arrow#51225), and
    # the index's hashes must not change when a fixed pyarrow composes again.
    assert normalize(pa.array(["Café ﬁne ＡＢＣ Ⅻ", "cafe\u0301"])).to_pylist() == [
        "cafe\u0301 fine abc xii",
        "cafe\u0301",
    ]
    spec = ShingleSpec(word_ngram=2)
    composed = shingle(pa.array(["Café au lait, s'il vous plaît"]), spec).hashes
    decomposed = shingle(pa.array(["CAFE\u0301 AU LAIT S IL VOUS PLAI\u0302T"]), spec).hashes
    assert np.array_equal(composed, decomposed)


def test_later_batches_are_deduplicated_against_the_index(spark: SparkSession, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from conftest import config_with_sources

    from dq_engine.runner import run_job
    from dq_engine.versioning import Tables

    rng = random.Random(8)
    first = [_text(rng, 90) for _ in range(6)]
    landing = tmp_path / "landing"
    landing.mkdir()

    def write(name: str, docs: list[tuple[str, str]]) -> None:
        lines = [json.dumps({"id": i, "text": t}) for i, t in docs]
        (landing / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    write("a.jsonl", [(f"a{i}", t) for i, t in enumerate(first)] + [("a_dup", _edit(rng, first[0], 1))])
    # Dedup stages only: the default pipeline's quality rules would drop these random-word texts.
    pipeline = tmp_path / "dedup.yaml"
    pipeline.write_text(
        "name: dedup\nstages:\n  - {stage: normalize_text}\n  - {stage: exact_dedup}\n"
        "  - {stage: near_dedup, params: {threshold: 0.8, against_curated: true}}\n",
        encoding="utf-8",
    )
    source = f"{{name: s, path: {landing}, format: jsonl, id_field: id}}"
    config = config_with_sources(tmp_path, source, extra=(f"pipeline={pipeline}",))
    one = run_job("run", config, spark)
    assert one.ok, one.message
    assert one.curate.rejected_by["near_dedup"] == {"near_duplicate": 1}
    tables = Tables(spark, config.lakehouse)
    index = tables.read("silver_minhash_index")
    assert index.select("doc_id").distinct().count() == 6  # kept documents only
    index_rows = index.count()

    write("b.jsonl", [("b_dup", _edit(rng, first[3], 1)), ("b_new", _text(rng, 90))])
    two = run_job("run", config, spark)
    assert two.ok, two.message
    assert two.curate.rejected_by["near_dedup"] == {"near_duplicate": 1}
    silver = {r["meta"]["id"]: r["doc_id"] for r in tables.read("silver_documents").collect()}
    rejected = tables.read("silver_rejections").where("stage = 'near_dedup'").collect()
    clusters = tables.read("silver_dedup_clusters")
    b_dup = (
        clusters.where(F.col("run_id") == two.run_id).where(F.col("doc_id") != F.col("kept_doc_id")).collect()
    )
    assert len(b_dup) == 1 and b_dup[0]["kept_doc_id"] == silver["a3"]  # points at the batch-1 document
    assert len(rejected) == 2 and {r["reason"] for r in rejected} == {"near_duplicate"}
    assert "b_new" in silver and "b_dup" not in silver
    # the index grew by the one new kept document, without recomputing batch 1
    assert tables.read("silver_minhash_index").count() == index_rows + index_rows // 6
    # a rerun is a no-op: no new index or cluster rows
    versions = {t: tables.current_version(t) for t in ("silver_minhash_index", "silver_dedup_clusters")}
    assert run_job("run", config, spark).curate.skipped
    assert {t: tables.current_version(t) for t in versions} == versions
