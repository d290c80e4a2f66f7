"""near_dedup accuracy against the exact ground truth of bench/ (threshold 0.8), and the truth itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from bench import dedup_truth
from bench.dedup_corpus import generate, generate_realworld
from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.pipeline import Pipeline
from dq_engine.dedup import NearDedup

THRESHOLD = 0.8


def _predict(spark: SparkSession, ctx: RunContext, docs: list[dict[str, str]], tmp: Path) -> pa.Table:
    """Run the real stage on ``docs``: ``doc_id, cluster_id, kept`` of every document."""
    src = tmp / "docs.parquet"
    tmp.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"doc_id": [d["id"] for d in docs], "text": [d["text"] for d in docs]}), src)
    pipeline = Pipeline([NearDedup({"threshold": THRESHOLD})])
    try:
        decided = pipeline.decide(pipeline.annotate(spark.read.parquet(str(src)), ctx), ctx).annotated
        decided.select(C.DOC_ID, "cluster_id", F.col(C.DECISION_REASON).isNull().alias("kept")).write.parquet(
            str(tmp / "out")
        )
    finally:
        pipeline.cleanup(ctx)
    return pq.read_table(str(tmp / "out"))


def _score(docs: list[dict[str, str]], predicted: pa.Table) -> dedup_truth.Scores:
    """Score the predictions for ``docs`` (possibly a subset of what ran) against their own exact truth."""
    truth = dedup_truth.ground_truth([d["id"] for d in docs], [d["text"] for d in docs], THRESHOLD)
    return dedup_truth.score_subset(
        truth,
        predicted.column(C.DOC_ID).to_pylist(),
        predicted.column("cluster_id").to_pylist(),
        predicted.column("kept").to_pylist(),
    )


def _assert_targets(s: dedup_truth.Scores) -> None:
    msg = dedup_truth.describe(s)
    print(msg)  # shown with pytest -rP: the measured figures, not only pass/fail
    assert s.must_drop > 0 and s.true_pairs > 0, msg  # the corpus really has duplicates to find
    assert s.pair_precision >= 0.98, msg
    assert s.pair_recall >= 0.95, msg
    assert s.dropped_precision >= 0.98, msg
    assert s.dropped_recall >= 0.97, msg


def test_prefix_filtered_truth_equals_brute_force() -> None:
    docs = generate(300, seed=5, median_words=60) + generate_realworld(100, seed=5)
    texts = [d["text"] for d in docs]
    sets = dedup_truth.shingle_sets(texts)
    for threshold in (0.5, 0.8, 0.95):
        i, j, sim = dedup_truth.true_pairs(sets, threshold)
        expected = dedup_truth.brute_force_pairs(sets, threshold)
        assert len(expected) > 50
        assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected
        assert (sim >= threshold).all()
        for a, b, s in list(zip(i.tolist(), j.tolist(), sim.tolist(), strict=True))[:200]:
            sa, sb = sets.set_of(a), sets.set_of(b)
            assert s == len(sa & sb) / len(sa | sb)


def test_truth_on_hand_made_documents() -> None:
    base = " ".join(f"word{k}" for k in range(40))
    edited = base.replace("word20", "other")  # 5 of 36 shingles change: Jaccard 31/41
    texts = [base, base.upper(), edited, "Read more", "read   more!", "Read", "", "  ", "unrelated " * 3]
    truth = dedup_truth.ground_truth([str(k) for k in range(len(texts))], texts, 0.7)
    pairs = set(zip(truth.pair_i.tolist(), truth.pair_j.tolist(), strict=True))
    assert pairs == {(0, 1), (0, 2), (1, 2), (3, 4)}
    assert truth.pair_sim[truth.pair_j == 2].tolist() == [31 / 41, 31 / 41]
    # empty texts are never duplicates of each other, short ones only when identical
    assert truth.component[6] != truth.component[7]
    assert truth.component[3] == truth.component[4] != truth.component[5]


def test_metrics_definition() -> None:
    texts = ["a b c d e f g"] * 3 + ["x y z w v u t"] * 2 + ["lonely document here now"]
    truth = dedup_truth.ground_truth([str(k) for k in range(6)], texts, 0.8)
    ids = [str(k) for k in range(6)]
    perfect = dedup_truth.score(
        truth, ids, ["0", "0", "0", "3", "3", "5"], [True, False, False, True, False, True]
    )
    assert (
        perfect.pair_precision,
        perfect.pair_recall,
        perfect.dropped_precision,
        perfect.dropped_recall,
    ) == (
        1.0,
        1.0,
        1.0,
        1.0,
    )
    # merging the two clusters: 6 extra pairs; dropping every member of cluster 3-4 and the singleton
    bad = dedup_truth.score(truth, ids, ["0"] * 5 + ["5"], [True, False, False, False, False, False])
    assert bad.predicted_pairs == 10 and bad.correct_pairs == 4 and bad.chained_pairs_predicted == 6
    assert bad.pair_precision == 0.4 and bad.pair_recall == 1.0
    assert bad.dropped == 5 and bad.correct_drops == 3 and bad.dropped_precision == 3 / 5
    assert bad.dropped_recall == 1.0


def test_corpus_is_deterministic_and_has_every_family() -> None:
    a, b = generate(1_000, seed=1), generate(1_000, seed=1)
    assert a == b and generate(1_000, seed=2) != a
    families = {d["family"] for d in a}
    assert families == {
        "unique",
        "edit",
        "swap",
        "boilerplate",
        "copy",
        "giant",
        "short",
        "realworld",
        "empty",
    }
    assert sum(d["family"] == "giant" for d in a) == 10
    words = np.median([len(d["text"].split()) for d in a if d["family"] == "unique"])
    assert 200 <= words <= 400


def test_accuracy_mixed_corpus_and_realworld_subset(
    spark: SparkSession, ctx: RunContext, tmp_path: Path
) -> None:
    # one run (Spark time is mostly per-job overhead): 1,000 generated documents plus 400 extra
    # licences/notices, scored as a whole and, against its own truth, the real-world family alone
    docs = generate(1_000, seed=11) + generate_realworld(400, seed=11)
    predicted = _predict(spark, ctx, docs, tmp_path)
    _assert_targets(_score(docs, predicted))
    _assert_targets(_score([d for d in docs if d["family"] == "realworld"], predicted))


@pytest.mark.slow
def test_accuracy_10k_corpus(spark: SparkSession, ctx: RunContext, tmp_path: Path) -> None:
    docs = generate(10_000, seed=0)
    predicted = _predict(spark, ctx, docs, tmp_path)
    _assert_targets(_score(docs, predicted))
    realworld = [d for d in docs if d["family"] == "realworld"]
    assert len(realworld) == 800
    _assert_targets(_score(realworld, predicted))
