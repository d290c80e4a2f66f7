"""Audit wall time on a synthetic silver table next to a plain ``count()`` of the same table.

``make bench-audit`` (default 1,000,000 rows). The table is written once as Delta under a scratch folder
(or ``--path``); then, in the same Spark session, each measurement runs ``--repeats`` times and the
median is printed: ``count()`` of the Delta table (the floor: one scan), the default
``silver_documents`` suite (the structural gate), and the ``curated_corpus`` suite on the corpus frame
(kept rows + 5% rejections, text metrics, histograms, quantiles). Deequ runs each suite in one
verification: one scan for all scan-shareable metrics plus one grouping pass per uniqueness /
histogram column set, which is why the corpus suite costs a few ``count()`` equivalents.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dq_engine.constraints import load_suite, run_suite
from dq_engine.constraints.corpus import corpus_frame, with_text_metrics
from dq_engine.spark.session import build_session, stop_session

REPO = Path(__file__).resolve().parents[1]
WORDS = [
    "river", "stone", "market", "harbour", "library", "signal", "winter", "garden", "engine", "letter",
    "bridge", "window", "forest", "museum", "station", "pepper", "copper", "silver", "ladder", "candle",
]  # fmt: skip


def make_silver(spark: SparkSession, rows: int) -> DataFrame:
    """``rows`` documents of 10-150 words (about 500 characters on average) from a small vocabulary."""
    vocab = F.array(*[F.lit(w) for w in WORDS])
    n_words = (F.abs(F.hash("id")) % 140 + 10).cast("int")
    words = F.transform(
        F.sequence(F.lit(1), n_words),
        lambda i: F.element_at(vocab, (F.abs(F.hash(F.col("id"), i)) % 20 + 1).cast("int")),
    )
    return spark.range(rows).select(
        F.sha2(F.col("id").cast("string"), 256).substr(1, 32).alias("doc_id"),
        F.array_join(words, " ").alias("text"),
        F.element_at(
            F.array(*[F.lit(s) for s in ("web", "forum", "tickets", "pages")]),
            (F.col("id") % 4 + 1).cast("int"),
        ).alias("source"),
        F.concat(F.lit("s3://landing/part-"), (F.col("id") % 100).cast("string")).alias("source_uri"),
    )


def make_rejections(spark: SparkSession, rows: int) -> DataFrame:
    return spark.range(rows // 20).select(
        F.concat(F.lit("rej-"), F.col("id").cast("string")).alias("doc_id"),
        F.when(F.col("id") % 3 == 0, "length").otherwise("exact_dedup").alias("stage"),
        F.when(F.col("id") % 3 == 0, "too_short").otherwise("exact_duplicate").alias("reason"),
        F.lit("web").alias("source"),
    )


def timed(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--path", help="scratch folder for the Delta tables (default: a temp dir)")
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args()

    spark = build_session(
        app_name="bench-audit",
        master=args.master,
        conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "8", "spark.driver.memory": "4g"},
        jars_dir=str(REPO / "jars"),
    )
    scratch = Path(args.path or tempfile.mkdtemp(prefix="bench-audit-"))
    silver_path, rej_path = str(scratch / "silver"), str(scratch / "rejections")
    try:
        started = time.perf_counter()
        make_silver(spark, args.rows).write.format("delta").mode("overwrite").save(silver_path)
        make_rejections(spark, args.rows).write.format("delta").mode("overwrite").save(rej_path)
        took = time.perf_counter() - started
        print(f"wrote {args.rows:,} silver rows + {args.rows // 20:,} rejections in {took:.1f}s")

        def silver() -> DataFrame:
            return spark.read.format("delta").load(silver_path)

        gate = load_suite(REPO / "conf" / "constraints" / "silver_documents.yaml")
        corpus = load_suite(REPO / "conf" / "constraints" / "curated_corpus.yaml")
        rejections = spark.read.format("delta").load(rej_path)

        print(f"rows={args.rows:,} repeats={args.repeats} (medians, same session)", flush=True)
        count_s = timed(lambda: silver().count(), args.repeats)
        print(f"  count()                        {count_s:8.2f}s   1.00x", flush=True)
        gate_s = timed(lambda: run_suite(spark, with_text_metrics(silver()), gate), args.repeats)
        print(
            f"  audit silver_documents suite   {gate_s:8.2f}s   {gate_s / count_s:5.2f}x count()", flush=True
        )
        corpus_s = timed(lambda: run_suite(spark, corpus_frame(silver(), rejections), corpus), args.repeats)
        print(
            f"  audit curated_corpus suite     {corpus_s:8.2f}s   {corpus_s / count_s:5.2f}x count()",
            flush=True,
        )
    finally:
        stop_session(spark)
        if not args.path:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
