"""ExactDedup against the sample's ground-truth duplicate groups, and across batches."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict

from conftest import REPO_ROOT
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from dq_engine.config import LakehouseSettings
from dq_engine.core.context import RunContext
from dq_engine.dedup import ExactDedup
from dq_engine.versioning import Tables

SAMPLE = REPO_ROOT / "data" / "sample"
GROUND_TRUTH = json.loads((SAMPLE / "ground_truth.json").read_text())


def _ticket_lines() -> dict[str, str]:
    """Ground-truth key (``file:line``) -> text for the line-per-document tickets source."""
    out = {}
    for path in sorted((SAMPLE / "landing" / "tickets").iterdir()):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:  # type: ignore[operator]
            for i, raw in enumerate(fh.read().split(b"\n"), start=1):
                out[f"{path.name}:{i}"] = raw.decode("utf-8", errors="replace")
    return out


def _gt_key(row: dict, tickets_by_text: dict[str, list[str]]) -> str:  # type: ignore[type-arg]
    source, meta = row["source"], row["meta"] or {}
    for field in ("id", "post_id", "doc"):
        if field in meta:
            return f"{source}:{meta[field]}"
    if source == "pages":
        return f"pages:{row['source_uri'].rsplit('/', 1)[-1]}"
    # identical ticket lines (the duplicates under test) share a text: hand out their keys one each
    return f"tickets:{tickets_by_text[row['text']].pop()}"


def test_matches_ground_truth_groups(spark: SparkSession, sample_run) -> None:  # type: ignore[no-untyped-def]
    config, _report = sample_run
    tables = Tables(spark, config.lakehouse)
    bronze = tables.read("bronze_documents")
    ctx = RunContext(spark=spark, config=config, tables=Tables(spark, LakehouseSettings(root="/nonexistent")))
    flagged = ExactDedup(label="exact").apply(bronze, ctx)
    rows = flagged.select(
        "source", "source_uri", "meta", "text", "doc_id", "text_hash", "exact_reason"
    ).collect()
    tickets_by_text: dict[str, list[str]] = defaultdict(list)
    for key, text in _ticket_lines().items():
        tickets_by_text[text].append(key)

    truth_group = {f"{d['source']}:{d['key']}": d["exact_dup_group"] for d in GROUND_TRUTH["documents"]}
    by_hash: dict[str, list[str]] = defaultdict(list)
    dropped = 0
    for r in rows:
        by_hash[r["text_hash"]].append(_gt_key(r.asDict(), tickets_by_text))
        dropped += r["exact_reason"] == "exact_duplicate"
    found_groups = {frozenset(keys) for keys in by_hash.values() if len(keys) > 1}
    groups: dict[str, set[str]] = defaultdict(set)
    for key, group in truth_group.items():
        if group:
            groups[group].add(key)
    assert found_groups == {frozenset(g) for g in groups.values()}
    assert dropped == sum(len(g) - 1 for g in groups.values())
    # exactly one keeper per hash
    keepers = flagged.where(F.col("exact_reason").isNull()).groupBy("text_hash").count()
    assert keepers.where("count > 1").count() == 0


def test_keeper_is_earliest_and_case_whitespace_insensitive(spark: SparkSession, ctx: RunContext) -> None:
    df = spark.createDataFrame(
        [
            ("b", "Hello   World", "2026-01-02 00:00:00"),
            ("a", "hello world", "2026-01-03 00:00:00"),
            ("c", "HELLO WORLD\n", "2026-01-01 00:00:00"),
            ("d", "something else", "2026-01-01 00:00:00"),
        ],
        "doc_id string, text string, ingested_at string",
    ).withColumn("ingested_at", F.to_timestamp("ingested_at"))
    out = {r["doc_id"]: r for r in ExactDedup(label="x").apply(df, ctx).collect()}
    assert out["c"]["x_reason"] is None
    assert out["a"]["exact_dup_of"] == out["b"]["exact_dup_of"] == "c"
    assert out["a"]["x_score"] == 3.0
    assert out["d"]["x_reason"] is None and out["d"]["x_score"] == 1.0


def test_case_sensitive_when_asked(spark: SparkSession, ctx: RunContext) -> None:
    df = spark.createDataFrame([("a", "Hello"), ("b", "hello")], "doc_id string, text string")
    out = ExactDedup({"lowercase": False}).apply(df, ctx)
    assert out.where("exact_dedup_reason is not null").count() == 0


def test_dedups_against_already_curated_documents(spark: SparkSession, ctx: RunContext) -> None:
    earlier = spark.createDataFrame([("old", "shared text")], "doc_id string, text string")
    stage = ExactDedup()
    ctx.tables.append(stage.apply(earlier, ctx).drop("exact_dedup_reason"), "silver_documents")
    batch = spark.createDataFrame([("new", "Shared  text"), ("other", "fresh")], "doc_id string, text string")
    out = {r["doc_id"]: r for r in stage.apply(batch, ctx).collect()}
    assert out["new"]["exact_dup_of"] == "old"
    assert out["other"]["exact_dedup_reason"] is None
    # re-running the already-curated batch does not flag it as a copy of itself
    again = {r["doc_id"]: r for r in stage.apply(earlier, ctx).collect()}
    assert again["old"]["exact_dedup_reason"] is None
