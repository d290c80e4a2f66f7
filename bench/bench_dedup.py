"""``make bench-dedup``: ``near_dedup`` against Spark MLlib ``MinHashLSH`` on the same corpus, one session.

Steps: generate the corpus (:mod:`bench.dedup_corpus`), compute the exact ground truth
(:mod:`bench.dedup_truth`, skipped with ``--no-truth``), then in ONE local Spark session
(``local[2]``, driver memory 4g, the project's local settings otherwise):

1. ``near_dedup`` through :func:`dq_engine.core.apply.apply_to_file`, i.e. what
   ``dq-engine apply-stage near_dedup`` runs, output written as Parquet, once per ``--engines``
   entry (default ``jvm,sql``: the Java MinHasher, then the numpy reference), each scored;
2. MLlib: ``RegexTokenizer`` (the stage's separators, lower case) -> ``NGram(5)`` (a document with 1-4
   words gets its whole word sequence as its one shingle, as the stage does) -> ``HashingTF`` (binary,
   2^22 features) -> ``MinHashLSH`` -> ``approxSimilarityJoin`` at distance ``< 1 - threshold``
   (inclusive of Jaccard = threshold), pairs written as Parquet; then connected components of those
   pairs with :func:`dq_engine.dedup.components.connected_components`, smallest id kept, so both
   tools are scored as clusterings. MLlib's time is reported without and with that step.

MLlib's ``numHashTables``: each MLlib table is one MinHash (an LSH band of one row), so the count is
the smallest whose integrated false-negative area above the threshold is no larger than near_dedup's
banding (``--mllib-tables`` overrides it).

Memory: a sampler thread reads, every 0.5 s, the RSS of the Python driver, of the driver JVM and of
the Python workers (psutil), and the JVM's used heap (``MemoryMXBean``); the table shows per-phase peaks.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
import pyarrow.parquet as pq

from bench import dedup_corpus, dedup_truth

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Peaks:
    python_rss: int = 0
    jvm_rss: int = 0
    workers_rss: int = 0
    jvm_heap: int = 0


@dataclass
class Sampler:
    """Per-phase peak memory, sampled from a daemon thread."""

    spark: object | None = None
    interval: float = 0.5
    peaks: Peaks = field(default_factory=Peaks)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        me = psutil.Process()
        try:
            children = me.children(recursive=True)
        except psutil.Error:
            children = []
        jvm, workers = 0, 0
        for c in children:
            try:
                name, rss = c.name(), c.memory_info().rss
            except psutil.Error:
                continue
            if name == "java":
                jvm += rss
            elif name.startswith("python"):
                workers += rss
        p = self.peaks
        p.python_rss = max(p.python_rss, me.memory_info().rss)
        p.jvm_rss, p.workers_rss = max(p.jvm_rss, jvm), max(p.workers_rss, workers)
        if self.spark is not None:
            try:
                bean = self.spark.sparkContext._jvm.java.lang.management.ManagementFactory.getMemoryMXBean()  # type: ignore[attr-defined]
                p.jvm_heap = max(p.jvm_heap, int(bean.getHeapMemoryUsage().getUsed()))
            except Exception:  # noqa: BLE001 - the session may be stopping; memory is best effort
                pass

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    @contextmanager
    def phase(self) -> Iterator[Peaks]:
        self.peaks = Peaks()
        self._stop.clear()
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield self.peaks
        finally:
            self._stop.set()
            thread.join()
            self._sample()


def mllib_tables(threshold: float, bands: int, rows: int) -> int:
    """Smallest MLlib table count whose false-negative area above ``threshold`` <= near_dedup's."""
    from dq_engine.dedup.minhash import _integrate, collision_probability

    high = np.linspace(threshold, 1.0, 400)
    target = _integrate(1.0 - collision_probability(high, bands, rows), high)
    for b in range(1, 257):
        if _integrate(1.0 - collision_probability(high, b, 1), high) <= target:
            return b
    return 256


def run_near_dedup(  # type: ignore[no-untyped-def]
    spark, config, input_path: Path, output_path: Path, threshold: float, engine: str = "auto"
) -> dict:
    """``apply-stage near_dedup`` on ``input_path``; the annotated output lands in ``output_path``."""
    from dq_engine.config.models import PipelineSettings, StageSpec
    from dq_engine.core.apply import apply_to_file

    params = {"threshold": threshold, "engine": engine}
    pipeline = PipelineSettings(name="near_dedup", stages=[StageSpec(stage="near_dedup", params=params)])
    return apply_to_file(spark, config, pipeline, input_path, output_path)


def read_prediction(path: Path) -> tuple[list[str], list[str], list[bool]]:
    """``doc_id, cluster_id, kept`` of a written output (read with pyarrow, not through the driver JVM)."""
    table = pq.read_table(str(path), columns=["doc_id", "cluster_id", "kept"])
    return (
        table.column("doc_id").to_pylist(),
        table.column("cluster_id").to_pylist(),
        table.column("kept").to_pylist(),
    )


def run_mllib(spark, input_path: Path, work: Path, threshold: float, tables: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """MLlib MinHashLSH self-join, then connected components; returns (join seconds, total seconds)."""
    from pyspark.ml.feature import HashingTF, MinHashLSH, NGram, RegexTokenizer
    from pyspark.sql import functions as F

    from dq_engine.dedup.components import connected_components

    start = time.perf_counter()
    docs = spark.read.parquet(str(input_path)).select(F.col("id").alias("doc_id"), "text")
    tokens = RegexTokenizer(
        inputCol="text", outputCol="tokens", pattern=r"[^\p{L}\p{M}\p{N}]+", gaps=True, toLowercase=True
    ).transform(docs)
    grams = NGram(n=5, inputCol="tokens", outputCol="grams").transform(tokens)
    shingles = grams.withColumn(
        "shingles",
        F.when(F.size("grams") > 0, F.col("grams")).otherwise(F.array(F.concat_ws(" ", "tokens"))),
    ).where(F.size("tokens") > 0)  # MinHashLSH rejects an all-zero vector
    feats = (
        HashingTF(inputCol="shingles", outputCol="features", numFeatures=1 << 22, binary=True)
        .transform(shingles)
        .select("doc_id", "features")
        .cache()
    )
    model = MinHashLSH(inputCol="features", outputCol="hashes", numHashTables=tables, seed=1).fit(feats)
    pairs = (
        model.approxSimilarityJoin(feats, feats, 1.0 - threshold + 1e-9, distCol="dist")
        .where(F.col("datasetA.doc_id") < F.col("datasetB.doc_id"))
        .select(F.col("datasetA.doc_id").alias("src"), F.col("datasetB.doc_id").alias("dst"))
    )
    pairs.write.mode("overwrite").parquet(str(work / "mllib_pairs"))
    joined = time.perf_counter() - start
    comps = connected_components(spark.read.parquet(str(work / "mllib_pairs")), str(work / "mllib_cc"))
    assigned = (
        docs.select("doc_id")
        .join(comps.withColumnRenamed("node", "doc_id"), "doc_id", "left")
        .select(
            "doc_id",
            F.coalesce("component", "doc_id").alias("cluster_id"),
            (F.col("component").isNull() | (F.col("component") == F.col("doc_id"))).alias("kept"),
        )
    )
    assigned.write.mode("overwrite").parquet(str(work / "mllib_out"))
    total = time.perf_counter() - start
    feats.unpersist()
    return joined, total


def print_jobs(events: Path, top: int = 15) -> None:
    """Count, total and longest Spark jobs from the event log (where the time of a run went)."""
    starts: dict[int, tuple[int, str]] = {}
    durations: list[tuple[float, int, str]] = []
    for path in events.iterdir():
        with path.open() as fh:
            for line in fh:
                e = json.loads(line)
                kind = e.get("Event")
                if kind == "SparkListenerJobStart":
                    props = e.get("Properties") or {}
                    site = props.get("callSite.short") or props.get("spark.job.description") or "?"
                    starts[e["Job ID"]] = (e["Submission Time"], site)
                elif kind == "SparkListenerJobEnd" and e["Job ID"] in starts:
                    t, site = starts[e["Job ID"]]
                    durations.append(((e["Completion Time"] - t) / 1000.0, e["Job ID"], site))
    total = sum(d for d, _, _ in durations)
    print(f"\nSpark jobs: {len(durations)}, summed job time {total:.1f} s; longest:")
    for d, job, site in sorted(durations, reverse=True)[:top]:
        print(f"  job {job:4d} {d:7.1f} s  {site}")


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="near_dedup vs Spark MLlib MinHashLSH on one corpus")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--no-truth", action="store_true", help="skip the exact ground truth (very large N)")
    parser.add_argument("--no-mllib", action="store_true", help="time near_dedup only")
    parser.add_argument("--mllib-tables", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1, help="near_dedup runs per engine (median)")
    parser.add_argument(
        "--engines",
        default="jvm,sql",
        help="near_dedup engines to time, in order (jvm: Java MinHasher, sql: numpy over Arrow); "
        "MLlib's speed-up is against the first",
    )
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument(
        "--shuffle-partitions",
        type=int,
        default=None,
        help="spark.sql.shuffle.partitions (default: 4 per 62,500 documents, at least 4: 64 at 1M, where the "
        "local env's 4 runs out of memory; see README)",
    )
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="log near_dedup's steps with timestamps and list the longest Spark jobs (event log)",
    )
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not engines or any(e not in ("jvm", "sql", "auto") for e in engines):
        parser.error("--engines takes a comma-separated list of jvm, sql, auto")
    if args.repeats < 1 or len(set(engines)) != len(engines):
        parser.error("--repeats must be at least 1 and --engines must not repeat an engine")
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", level=logging.WARNING)
    # near_dedup logs its step seconds (signatures, candidates, ...) at INFO
    logging.getLogger("dq_engine.dedup").setLevel(logging.INFO)

    from dq_engine.config import LakehouseSettings, load_config
    from dq_engine.dedup.near import NearDedupParams
    from dq_engine.spark.session import build_session, stop_session

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-dedup-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus_path = work / "corpus.parquet"
    sampler = Sampler()

    t0 = time.perf_counter()
    docs = dedup_corpus.generate(args.n, args.seed)
    dedup_corpus.write(docs, corpus_path)
    words = statistics.median(len(d["text"].split()) for d in docs)
    print(
        f"corpus: {len(docs)} documents, median {words:.0f} words, "
        f"{time.perf_counter() - t0:.1f} s -> {corpus_path}"
    )

    truth = None
    if not args.no_truth:
        t0 = time.perf_counter()
        truth = dedup_truth.ground_truth([d["id"] for d in docs], [d["text"] for d in docs], args.threshold)
        sizes = truth.component_sizes()
        print(
            f"ground truth: {truth.n_pairs} pairs with Jaccard >= {args.threshold}, "
            f"{int((sizes > 1).sum())} clusters (largest {int(sizes.max())}), "
            f"{int((sizes[sizes > 1] - 1).sum())} documents must go; {time.perf_counter() - t0:.1f} s"
        )
    realworld = [d for d in docs if d["family"] == "realworld"]
    rw_truth = (
        dedup_truth.ground_truth([d["id"] for d in realworld], [d["text"] for d in realworld], args.threshold)
        if truth
        else None
    )
    del docs, realworld
    gc.collect()

    config = load_config(
        REPO_ROOT / "conf",
        overrides=[
            f"lakehouse.root={work / 'lakehouse'}",
            f"mlflow.tracking_uri=sqlite:///{work / 'mlruns.db'}",
        ],
    )
    conf = {**config.spark.conf, "spark.driver.memory": args.driver_memory, "spark.ui.enabled": "false"}
    conf["spark.sql.shuffle.partitions"] = str(args.shuffle_partitions or max(4, 4 * (args.n // 62_500)))
    if args.profile:
        (work / "events").mkdir(exist_ok=True)
        conf |= {"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(work / "events")}
    spark = build_session(
        app_name="bench-dedup", master=args.master, conf=conf, jars_dir=str(REPO_ROOT / "jars")
    )
    sampler.spark = spark
    config = config.model_copy(update={"lakehouse": LakehouseSettings(root=str(work / "lakehouse"))})
    params = NearDedupParams.model_validate({"threshold": args.threshold})
    banding = params.banding()
    tables = args.mllib_tables or mllib_tables(args.threshold, banding.bands, banding.rows)
    print(
        f"spark: master {args.master}, driver memory {args.driver_memory}, shuffle partitions "
        f"{spark.conf.get('spark.sql.shuffle.partitions')}; near_dedup {banding.bands} bands x "
        f"{banding.rows} rows ({params.num_perm} permutations); MLlib numHashTables={tables}; "
        f"host load {os.getloadavg()[0]:.1f}, {psutil.cpu_count()} CPUs"
    )

    rows: list[tuple[str, float, Peaks, dedup_truth.Scores | None]] = []
    subset_scores: list[tuple[str, dedup_truth.Scores]] = []
    try:
        # engines alternate (jvm, sql, jvm, sql, ...) so load drift and session warm-up hit both alike;
        # each engine's row holds the median of its --repeats runs and the peaks of its last run
        times: dict[str, list[float]] = {e: [] for e in engines}
        last: dict[str, tuple[Peaks, dedup_truth.Scores | None]] = {}
        for attempt in range(args.repeats):
            for engine in engines:
                out = work / f"near_out_{engine}_{attempt}"
                with sampler.phase() as peaks:
                    t0 = time.perf_counter()
                    run_near_dedup(spark, config, corpus_path, out, args.threshold, engine)
                    times[engine].append(time.perf_counter() - t0)
                print(f"near_dedup engine={engine} run {attempt + 1}: {times[engine][-1]:.1f} s", flush=True)
                if attempt < args.repeats - 1:
                    shutil.rmtree(out, ignore_errors=True)
                    continue
                near_scores = dedup_truth.score(truth, *read_prediction(out)) if truth else None
                if rw_truth:
                    subset_scores.append(
                        (f"near_dedup {engine}", dedup_truth.score_subset(rw_truth, *read_prediction(out)))
                    )
                last[engine] = (peaks, near_scores)
        for engine in engines:
            label = f"near_dedup engine={engine} (apply-stage, median of {args.repeats})"
            rows.append((label, statistics.median(times[engine]), *last[engine]))
        if not args.no_mllib:
            with sampler.phase() as peaks:
                join_s, mllib_s = run_mllib(spark, corpus_path, work, args.threshold, tables)
            mllib_scores = dedup_truth.score(truth, *read_prediction(work / "mllib_out")) if truth else None
            if rw_truth:
                subset_scores.append(
                    (
                        "MLlib + components",
                        dedup_truth.score_subset(rw_truth, *read_prediction(work / "mllib_out")),
                    )
                )
            print(f"MLlib: join {join_s:.1f} s, with components {mllib_s:.1f} s", flush=True)
            rows.append((f"MLlib MinHashLSH join only ({tables} tables)", join_s, peaks, None))
            rows.append(("MLlib join + connected components", mllib_s, peaks, mllib_scores))
    finally:
        stop_session(spark)
        if args.profile:
            print_jobs(work / "events")
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"N = {args.n}, threshold {args.threshold}, seed {args.seed}, "
        f"host load after: {os.getloadavg()[0]:.1f}"
    )
    print()
    print(
        "| run | wall s | driver Python RSS GiB | driver JVM RSS GiB | JVM heap used GiB "
        "| Python workers RSS GiB | pair P | pair R | dropped P | dropped R | chained pairs |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, secs, p, s in rows:
        acc = (
            f"{s.pair_precision:.4f} | {s.pair_recall:.4f} | {s.dropped_precision:.4f} | "
            f"{s.dropped_recall:.4f} | {s.chained_pairs_predicted}"
            if s
            else "- | - | - | - | -"
        )
        print(
            f"| {name} | {secs:.1f} | {_gib(p.python_rss)} | {_gib(p.jvm_rss)} | {_gib(p.jvm_heap)} | "
            f"{_gib(p.workers_rss)} | {acc} |"
        )
    n_near = len(engines)
    if n_near > 1:
        print()
        for name, secs, _, _ in rows[1:n_near]:
            print(f"{name} / {rows[0][0]}: {secs / rows[0][1]:.2f}x")
    if not args.no_mllib:
        near = rows[0][1]
        print()
        print(
            f"speed-up (MLlib / {rows[0][0]}): join only {rows[n_near][1] / near:.2f}x, "
            f"with components {rows[n_near + 1][1] / near:.2f}x"
        )
    for name, _, _, s in rows:
        if s:
            print(f"{name}: {dedup_truth.describe(s)}")
    for name, s in subset_scores:
        print(f"{name}, licences/notices family only ({s.documents} docs): {dedup_truth.describe(s)}")


if __name__ == "__main__":
    main()
