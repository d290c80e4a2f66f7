"""near_dedup on the bundled sample, checked against exact Jaccard computed by brute force."""

from __future__ import annotations

import itertools

import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from dq_engine.config import LakehouseSettings, load_pipeline
from dq_engine.core.context import RunContext
from dq_engine.core.pipeline import Pipeline
from dq_engine.dedup.shingles import ShingleSpec, shingle
from dq_engine.versioning import Tables


def _components(nodes: list[str], pairs: list[tuple[str, str]]) -> dict[str, str]:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {n: find(n) for n in nodes}


def test_sample_clusters_equal_exact_jaccard_components(spark: SparkSession, sample_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config, report = sample_run
    tables = Tables(spark, config.lakehouse)
    # what near_dedup saw: bronze after the stages before it (normalize, length, exact dedup)
    settings = load_pipeline(config)
    at = next(i for i, s in enumerate(settings.stages) if s.stage == "near_dedup")
    before = settings.stages[:at]
    params = next(s.params for s in settings.stages if s.stage == "near_dedup")
    pipeline = Pipeline.from_settings(settings.model_copy(update={"stages": before}))
    # an empty scratch lakehouse: the sample is one batch, so there is nothing curated to compare with
    ctx = RunContext(spark=spark, config=config, tables=Tables(spark, LakehouseSettings(root=str(tmp_path))))
    seen = pipeline.decide(pipeline.annotate(tables.read("bronze_documents"), ctx), ctx).annotated
    live = seen.where(F.col("_decision_reason").isNull()).select("doc_id", "text").collect()
    ids = [r["doc_id"] for r in live]
    sh = shingle(pa.array([r["text"] for r in live]), ShingleSpec(unit=params.get("unit", "auto")))
    sets = [set(sh.hashes[sh.offsets[i] : sh.offsets[i + 1]].tolist()) for i in range(len(ids))]
    true_pairs = [
        (ids[i], ids[j])
        for i, j in itertools.combinations(range(len(ids)), 2)
        if sets[i] and sets[j] and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= params["threshold"]
    ]
    assert true_pairs, "the sample must contain near duplicates for this test to mean anything"
    truth = _components(ids, true_pairs)
    clusters = {r["doc_id"]: r["cluster_id"] for r in tables.read("silver_dedup_clusters").collect()}
    predicted = {d: clusters.get(d, d) for d in ids}
    # same partition of the documents: every true component is exactly one predicted cluster
    by_truth: dict[str, set[str]] = {}
    by_pred: dict[str, set[str]] = {}
    for d in ids:
        by_truth.setdefault(truth[d], set()).add(d)
        by_pred.setdefault(predicted[d], set()).add(d)
    assert sorted(map(sorted, by_truth.values())) == sorted(map(sorted, by_pred.values()))
    dropped = tables.read("silver_rejections").where("reason = 'near_duplicate'").count()
    assert dropped == len(ids) - len(by_truth) == report.curate.rejected_by["near_dedup"]["near_duplicate"]
