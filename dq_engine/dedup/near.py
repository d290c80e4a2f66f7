"""``near_dedup``: MinHash-LSH near-duplicate removal, verified, clustered and incremental.

Steps (each a distributed Spark step; see README "Near-duplicate detection" for the 1B-document view):

1. signatures: ``doc_id, text`` -> shingles, MinHash, band hashes, written once to the run's checkpoint
   folder; by the Java UDF ``io.dqengine.dedup.MinHasher`` (``engine: jvm``, :mod:`dq_engine.dedup.jvm`)
   or by numpy over whole Arrow batches in ``mapInArrow`` (``engine: sql``, the reference;
   :mod:`dq_engine.dedup.arrow_batches`), which give identical hashes;
2. candidates: rows ``(band, band_hash, doc_id)`` of this batch plus the matching rows of
   ``silver.minhash_index`` (earlier batches); per bucket one partially-aggregated ``count/min``;
   a bucket of at most ``pair_bucket_size`` (64) members emits all its pairs, a larger one links every
   member to its smallest member only, so a bucket of a million boilerplate pages is a million edges,
   not 5 * 10^11;
3. verification: the exact Jaccard similarity of each candidate edge's two shingle sets (recomputed for
   candidate documents only) must reach ``threshold``;
4. connected components over verified edges (:mod:`dq_engine.dedup.components`);
5. one keeper per component by the ``keep`` rule (documents already curated always win; the smallest
   ``doc_id`` breaks ties), every other member flagged ``near_duplicate`` with ``near_dup_of`` = keeper
   and the exact similarity to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.core import java_udfs
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Filter
from dq_engine.dedup import jvm as dedup_jvm
from dq_engine.dedup.arrow_batches import (
    SHINGLE_SCHEMA,
    SIGNATURE_SCHEMA,
    LshSpec,
    band_batches,
    shingle_batches,
)
from dq_engine.dedup.components import connected_components, delete_path
from dq_engine.dedup.minhash import Banding, optimal_banding
from dq_engine.dedup.shingles import ShingleSpec
from dq_engine.spark.jobs import described

log = logging.getLogger(__name__)

CLUSTER_ID = "cluster_id"
NEAR_DUP_OF = "near_dup_of"
STATUS_SKIPPED = "skipped"  # already flagged by an earlier filter: neither compared nor kept as a keeper
_FAR_FUTURE = "9999-12-31 00:00:00"


class NearDedupParams(BaseModel):
    """Parameters of :class:`NearDedup` (``bands``/``rows`` both set, or both derived from ``threshold``)."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(0.8, gt=0.0, lt=1.0, description="Jaccard similarity that makes a duplicate")
    unit: Literal["word", "char", "auto"] = "auto"
    word_ngram: int = Field(5, ge=1, le=64)
    char_ngram: int = Field(5, ge=1, le=64)
    num_perm: int = Field(128, ge=1, le=1024)
    bands: int | None = Field(None, ge=1)
    rows: int | None = Field(None, ge=1)
    # Verification removes false positives exactly, a missed candidate is lost for good: weigh misses
    # 19:1. At threshold 0.8 and 128 permutations this gives 16 bands x 8 rows.
    fp_weight: float = Field(0.05, ge=0.0)
    fn_weight: float = Field(0.95, ge=0.0)
    seed: int = 1
    verify: bool = True
    # buckets up to this size emit all their pairs; larger ones link each member to their minimum
    pair_bucket_size: int = Field(64, ge=2, le=1024)
    keep: Literal["earliest", "longest", "score", "smallest_id"] = "earliest"
    keep_score_column: str | None = None
    against_curated: bool = True
    skip_flagged: bool = True
    # shingles and band hashes: `jvm` (io.dqengine.dedup.MinHasher, one Java call per document),
    # `sql` (the numpy reference over Arrow batches in Python workers), `auto` (jvm when its jar is
    # on the classpath). Both give identical hashes, so an index written by one serves the other.
    engine: java_udfs.Engine = "auto"

    @model_validator(mode="after")
    def _consistent(self) -> NearDedupParams:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither (then they are derived from threshold)")
        if self.bands is not None and self.rows is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        if self.keep == "score" and not self.keep_score_column:
            raise ValueError("keep: score needs keep_score_column")
        return self

    def banding(self) -> Banding:
        if self.bands is not None and self.rows is not None:
            return Banding(self.bands, self.rows)
        return optimal_banding(self.threshold, self.num_perm, self.fp_weight, self.fn_weight)

    def lsh_spec(self) -> LshSpec:
        b = self.banding()
        shingles = ShingleSpec(unit=self.unit, word_ngram=self.word_ngram, char_ngram=self.char_ngram)
        return LshSpec(shingles=shingles, num_perm=self.num_perm, bands=b.bands, rows=b.rows, seed=self.seed)

    def index_key(self) -> str:
        """Fingerprint of everything that makes band hashes comparable; stored with every index row."""
        s = self.lsh_spec()
        blob = json.dumps(
            [
                s.shingles.unit,
                s.shingles.word_ngram,
                s.shingles.char_ngram,
                s.num_perm,
                s.bands,
                s.rows,
                s.seed,
            ]
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@contextmanager
def _step(timings: dict[str, float], name: str, spark: SparkSession, label: str) -> Iterator[None]:
    start = time.perf_counter()
    with described(spark, f"dq-engine {label}: {name}"):
        yield
    timings[name] = round(time.perf_counter() - start, 3)


def jaccard(a: Column, b: Column) -> Column:
    """Exact Jaccard similarity of two arrays of distinct shingle hashes."""
    inter = F.size(F.array_intersect(a, b))
    return inter / (F.size(a) + F.size(b) - inter)


class NearDedup(Filter):
    """Flag near-duplicates (Jaccard >= ``threshold`` on shingles) as ``near_duplicate``.

    Reads ``doc_id``, ``text`` and, by ``keep`` rule, ``ingested_at`` or a score column. Adds
    ``cluster_id`` (the keeper's ``doc_id`` for every member; a singleton's own id), ``near_dup_of``
    (the keeper's id, null for keepers and singletons), ``<label>_score`` (exact Jaccard similarity to
    the keeper; 1.0 for a keeper, null for a singleton), ``<label>_status`` (``shingled``, ``short``,
    ``empty``, ``skipped``) and ``<label>_reason``. Writes ``silver.dedup_clusters`` (every member of
    every cluster) and ``silver.minhash_index`` (band hashes of every document the run keeps).
    """

    name = "near_dedup"
    Params = NearDedupParams
    requires = (C.DOC_ID, C.TEXT)
    adds = (CLUSTER_ID, NEAR_DUP_OF)
    reasons = ("near_duplicate",)
    # signatures, candidate texts and keeper order from the batch, assignments joined back to its
    # rows: the pipeline persists the batch once for all of them
    reads_input_twice = True

    @property
    def status_column(self) -> str:
        return f"{self.label}_status"

    def added_columns(self) -> tuple[str, ...]:
        return (*super().added_columns(), self.status_column)

    def _p(self) -> NearDedupParams:
        assert isinstance(self.params, NearDedupParams)
        return self.params

    def _run_dir(self, ctx: RunContext) -> str:
        return f"{ctx.tables.checkpoint_root()}/near_dedup/{ctx.run_id}/{self.label}"

    def _order_key(self, df: DataFrame) -> Column:
        """Sort key of a batch document as a keeper candidate (smaller wins; prior documents use tier 0)."""
        p = self._p()
        if p.keep == "earliest":
            at = F.col(C.INGESTED_AT) if C.INGESTED_AT in df.columns else F.lit(None).cast("timestamp")
            primary = F.coalesce(at.cast("timestamp"), F.lit(_FAR_FUTURE).cast("timestamp")).cast("double")
        elif p.keep == "longest":
            primary = -F.length(C.TEXT).cast("double")
        elif p.keep == "score":
            assert p.keep_score_column is not None
            if p.keep_score_column not in df.columns:
                raise ValueError(f"near_dedup keep_score_column {p.keep_score_column!r} is not a column")
            primary = F.coalesce(-F.col(p.keep_score_column).cast("double"), F.lit(float("inf")))
        else:
            primary = F.lit(0.0)
        return F.struct(F.lit(1).alias("tier"), primary.alias("k"), F.col(C.DOC_ID).alias("id"))

    def _prior_index(self, ctx: RunContext, buckets: DataFrame, batch_ids: DataFrame) -> DataFrame | None:
        """The rows of ``silver.minhash_index`` (``doc_id``, ``band``, ``band_hash``) in ``buckets``.

        Only these can share a bucket with the batch, so everything after this works on them alone,
        never on the whole index: its cost per increment is one scan of the index's three columns
        (a broadcast semi-join when the batch's buckets are small), not shuffles of every curated
        document's bands.
        """
        p = self._p()
        tables = ctx.tables
        if not p.against_curated:
            return None
        version = tables.current_version("silver_minhash_index")
        if version is None:
            return None
        index = tables.read("silver_minhash_index", version).where(F.col("index_key") == p.index_key())
        bands = index.select(C.DOC_ID, "band", "band_hash")
        matched = bands.join(buckets, ["band", "band_hash"], "left_semi")
        # A rerun of a batch whose index append already committed must not find itself as "prior".
        return matched.join(batch_ids, C.DOC_ID, "left_anti")

    def _prior_texts(self, ctx: RunContext, ids: DataFrame) -> DataFrame | None:
        version = ctx.tables.current_version("silver_documents")
        if version is None:
            return None
        return (
            ctx.tables.read("silver_documents", version)
            .select(C.DOC_ID, C.TEXT)
            .join(ids, C.DOC_ID, "left_semi")
        )

    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        p = self._p()
        spark = df.sparkSession
        spec = p.lsh_spec()
        run_dir = self._run_dir(ctx)
        flagged = F.lit(False)
        if p.skip_flagged:
            for col in self.upstream_reason_columns:
                if col in df.columns:
                    flagged = flagged | F.col(col).isNotNull()
        docs = df.select(C.DOC_ID, C.TEXT, self._order_key(df).alias("_order"), flagged.alias("_flagged"))
        log.info(
            "near_dedup %s: %d bands x %d rows, threshold %.2f",
            self.label,
            spec.bands,
            spec.rows,
            p.threshold,
        )

        # 1. signatures, written once
        timings = self.timings
        timings.clear()
        live = docs.where(~F.col("_flagged")).select(C.DOC_ID, C.TEXT)
        in_jvm = java_udfs.use_jvm(p.engine, spark, dedup_jvm.JVM_CLASS, f"near_dedup {self.label}")
        if in_jvm:
            signatures = live.select(
                C.DOC_ID, dedup_jvm.bands_column(spark, F.col(C.TEXT), spec).alias("s")
            ).select(C.DOC_ID, "s.status", "s.shingle_count", "s.bands")
        else:
            signatures = live.mapInArrow(partial(band_batches, spec=spec), SIGNATURE_SCHEMA)
        with _step(timings, "signatures", spark, self.label):
            signatures.write.mode("overwrite").parquet(f"{run_dir}/signatures")
        sigs = spark.read.parquet(f"{run_dir}/signatures")

        # 2. candidate edges from band buckets, skew-safe: a bucket of at most `pair_bucket_size` members
        # emits all its pairs (bounded: 2,016 at 64); a larger one links every member to its smallest
        # member only (m edges, not m^2/2). All-pairs in small buckets matters for recall: with
        # smallest-member links alone, a member dissimilar to the minimum hides the true pairs behind it.
        rows = sigs.where(F.col("bands").isNotNull()).select(
            C.DOC_ID, F.lit(1).alias("tier"), F.posexplode("bands").alias("band", "band_hash")
        )
        buckets_here = rows.select("band", "band_hash").distinct()
        prior = self._prior_index(ctx, buckets_here, docs.select(C.DOC_ID))
        if prior is not None:
            with _step(timings, "prior_index", spark, self.label):
                prior.write.mode("overwrite").parquet(f"{run_dir}/prior_index")
            prior = spark.read.parquet(f"{run_dir}/prior_index")
            rows = rows.unionByName(prior.withColumn("tier", F.lit(0)))
        member = F.struct(F.col(C.DOC_ID).alias("id"), F.col("tier").alias("tier"))
        buckets = (
            rows.groupBy("band", "band_hash")
            .agg(F.count("*").alias("n"), F.min(member).alias("anchor"))
            .where(F.col("n") > 1)
        )
        tagged = rows.join(buckets, ["band", "band_hash"])
        large = tagged.where(F.col("n") > p.pair_bucket_size).select(
            F.struct(F.col(C.DOC_ID).alias("id"), F.col("tier").alias("tier")).alias("x"),
            F.col("anchor").alias("y"),
        )
        small = (
            tagged.where(F.col("n") <= p.pair_bucket_size)
            .groupBy("band", "band_hash")
            .agg(F.sort_array(F.collect_list(member)).alias("m"))
            .select(
                F.explode(
                    F.flatten(
                        F.transform(
                            "m",
                            lambda x, i: F.transform(
                                F.slice("m", i + 2, F.size("m")),
                                lambda y: F.struct(x.alias("x"), y.alias("y")),
                            ),
                        )
                    )
                ).alias("pair")
            )
            .select("pair.x", "pair.y")
        )
        pairs = large.unionByName(small)
        edges = (
            pairs.where((F.col("x.id") != F.col("y.id")) & ((F.col("x.tier") == 1) | (F.col("y.tier") == 1)))
            .select(F.least("x.id", "y.id").alias("src"), F.greatest("x.id", "y.id").alias("dst"))
            .distinct()
        )
        with _step(timings, "candidates", spark, self.label):
            edges.write.mode("overwrite").parquet(f"{run_dir}/candidates")
        edges = spark.read.parquet(f"{run_dir}/candidates")

        # 3. exact Jaccard of candidate pairs on the shingle sets of candidate documents only
        ids = edges.select(F.col("src").alias(C.DOC_ID)).union(edges.select(F.col("dst").alias(C.DOC_ID)))
        ids = ids.distinct()
        texts = docs.select(C.DOC_ID, C.TEXT).join(ids, C.DOC_ID, "left_semi")
        prior_texts = self._prior_texts(ctx, ids) if prior is not None else None
        if prior_texts is not None:
            texts = texts.unionByName(prior_texts.join(docs.select(C.DOC_ID), C.DOC_ID, "left_anti"))
        if in_jvm:
            shingled = texts.select(
                C.DOC_ID, dedup_jvm.shingles_column(spark, F.col(C.TEXT), spec.shingles).alias("shingles")
            )
        else:
            shingled = texts.mapInArrow(partial(shingle_batches, spec=spec.shingles), SHINGLE_SCHEMA)
        sets = shingled.select(C.DOC_ID, F.array_distinct("shingles").alias("sh"))
        with _step(timings, "shingle_sets", spark, self.label):
            sets.write.mode("overwrite").parquet(f"{run_dir}/shingle_sets")
        sets = spark.read.parquet(f"{run_dir}/shingle_sets")
        a = sets.select(F.col(C.DOC_ID).alias("src"), F.col("sh").alias("a"))
        b = sets.select(F.col(C.DOC_ID).alias("dst"), F.col("sh").alias("b"))
        scored = (
            edges.join(a, "src")
            .join(b, "dst")
            .select("src", "dst", jaccard(F.col("a"), F.col("b")).alias("j"))
        )
        verified = scored.where(F.col("j") >= p.threshold) if p.verify else scored

        # 4. connected components, 5. keeper per component
        with _step(timings, "verify_and_components", spark, self.label):
            comps = connected_components(verified.select("src", "dst"), f"{run_dir}/components")
        order = docs.select(C.DOC_ID, "_order")
        if prior is not None:
            prior_order = F.struct(F.lit(0).alias("tier"), F.lit(0.0).alias("k"), F.col(C.DOC_ID).alias("id"))
            order = order.unionByName(
                prior.select(C.DOC_ID).distinct().select(C.DOC_ID, prior_order.alias("_order"))
            )
        ranked = comps.join(order.withColumnRenamed(C.DOC_ID, "node"), "node")
        keepers = ranked.groupBy("component").agg(F.min_by("node", "_order").alias("keeper"))
        members = ranked.join(keepers, "component").select("node", "keeper")
        pairs = members.where(F.col("node") != F.col("keeper"))
        sims = (
            pairs.join(sets.select(F.col(C.DOC_ID).alias("node"), F.col("sh").alias("a")), "node")
            .join(sets.select(F.col(C.DOC_ID).alias("keeper"), F.col("sh").alias("b")), "keeper")
            .select("node", jaccard(F.col("a"), F.col("b")).alias("similarity"))
        )
        clusters = members.join(sims, "node", "left").select(
            F.col("node").alias(C.DOC_ID),
            F.col("keeper").alias(CLUSTER_ID),
            F.when(F.col("node") != F.col("keeper"), F.col("keeper")).alias(NEAR_DUP_OF),
            F.coalesce(F.col("similarity"), F.lit(1.0)).alias("similarity"),
        )
        assignments = sigs.select(C.DOC_ID, "status").join(clusters, C.DOC_ID, "left")
        with _step(timings, "keepers", spark, self.label):
            assignments.write.mode("overwrite").parquet(f"{run_dir}/assignments")
        log.info("near_dedup %s: step seconds %s", self.label, timings)
        assignments = spark.read.parquet(f"{run_dir}/assignments")

        out = df.join(assignments, C.DOC_ID, "left")
        return (
            out.withColumn(CLUSTER_ID, F.coalesce(F.col(CLUSTER_ID), F.col(C.DOC_ID)))
            .withColumn(self.status_column, F.coalesce(F.col("status"), F.lit(STATUS_SKIPPED)))
            .withColumn(self.score_column, F.col("similarity").cast("double"))
            .drop("status", "similarity")
        )

    def reason(self, scored: DataFrame) -> Column:
        return F.when(F.col(NEAR_DUP_OF).isNotNull(), F.lit("near_duplicate"))

    def outputs(self, decided: DataFrame, ctx: RunContext) -> dict[str, DataFrame]:
        """``silver_dedup_clusters`` (members of clusters) and ``silver_minhash_index`` (kept documents)."""
        p = self._p()
        run_id = F.lit(ctx.run_id)
        clusters = decided.where(F.col(self.score_column).isNotNull()).select(
            C.DOC_ID,
            CLUSTER_ID,
            F.coalesce(F.col(NEAR_DUP_OF), F.col(C.DOC_ID)).alias("kept_doc_id"),
            F.col(self.score_column).alias("similarity"),
            F.lit(self.label).alias("stage"),
            run_id.alias("run_id"),
        )
        kept = decided.where(F.col(C.DECISION_REASON).isNull()).select(C.DOC_ID)
        sigs = ctx.spark.read.parquet(f"{self._run_dir(ctx)}/signatures")
        index = (
            sigs.where(F.col("bands").isNotNull())
            .join(kept, C.DOC_ID, "left_semi")
            .select(C.DOC_ID, F.posexplode("bands").alias("band", "band_hash"))
            .withColumn("index_key", F.lit(p.index_key()))
            .withColumn("run_id", run_id)
        )
        return {"silver_dedup_clusters": clusters, "silver_minhash_index": index}

    def cleanup(self, ctx: RunContext) -> None:
        try:
            delete_path(ctx.spark, self._run_dir(ctx))
        except Exception as exc:  # scratch space only: a leftover folder must not fail a finished run
            log.warning("near_dedup: could not remove %s: %s", self._run_dir(ctx), type(exc).__name__)
