"""near_dedup's shingles and band hashes from one Java call per document (``io.dqengine.dedup.MinHasher``).

The numpy code in :mod:`dq_engine.dedup.shingles` and :mod:`dq_engine.dedup.minhash` is the
reference. The Java class gets every random constant from here (the same arrays numpy uses), so the
two engines return identical shingle hashes and band hashes (``tests/dedup/test_minhash_jvm.py``
holds them equal) and their rows in ``silver.minhash_index`` are interchangeable: the index key does
not name the engine.

Where the two can differ: Java 17's Unicode tables (13.0) are older than those of the utf8proc and
RE2 inside pyarrow, so a character assigned in a later Unicode version normalizes, lower-cases or
classifies differently. Such text is rare, and the effect is a shingle that does not match, not an
error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyspark.sql import Column, SparkSession
from pyspark.sql.types import ArrayType, IntegerType, LongType, StringType, StructField, StructType

from dq_engine.core import java_udfs
from dq_engine.dedup.arrow_batches import LshSpec
from dq_engine.dedup.minhash import band_multipliers, permutations
from dq_engine.dedup.shingles import BYTE_MULT, GRAM_MULT, SHORT_SALT, ShingleSpec

JVM_CLASS = "io.dqengine.dedup.MinHasher"

BANDS_TYPE = StructType(
    [
        StructField("status", StringType(), False),
        StructField("shingle_count", IntegerType(), False),
        StructField("bands", ArrayType(LongType(), False), True),
    ]
)
SHINGLES_TYPE = ArrayType(LongType(), False)


def _csv(values: Iterable[Any]) -> str:
    return ",".join(str(int(v)) for v in values)


def hasher_config(spec: LshSpec | ShingleSpec) -> str:
    """The constructor argument of ``MinHasher``: ``bands`` mode for an :class:`LshSpec`,
    ``shingles`` mode for a :class:`ShingleSpec`."""
    a: Iterable[Any] = ()
    b: Iterable[Any] = ()
    mult: Iterable[Any] = ()
    bands = rows = 0
    if isinstance(spec, LshSpec):
        shingles, mode = spec.shingles, "bands"
        a, b = permutations(spec.num_perm, spec.seed)
        bands, rows, mult = spec.bands, spec.rows, band_multipliers(spec.rows)
    else:
        shingles, mode = spec, "shingles"
    fields = [
        mode,
        shingles.unit,
        str(shingles.word_ngram),
        str(shingles.char_ngram),
        str(int(BYTE_MULT)),
        str(int(SHORT_SALT)),
        "g=" + _csv(GRAM_MULT),
        "a=" + _csv(a),
        "b=" + _csv(b),
        f"bands={bands}",
        f"rows={rows}",
        "m=" + _csv(mult),
    ]
    return " ".join(fields)


def bands_column(spark: SparkSession, text: Column, spec: LshSpec) -> Column:
    """``struct<status, shingle_count, bands>`` of ``text``: what ``band_batches`` returns per row."""
    config = hasher_config(spec)
    udf = java_udfs.new_instance(spark, JVM_CLASS, config)
    return java_udfs.call_udf(spark, "dq_minhash_", config, udf, BANDS_TYPE, text)


def shingles_column(spark: SparkSession, text: Column, spec: ShingleSpec) -> Column:
    """``array<bigint>`` shingle hashes of ``text`` (signed, repeats kept): what ``shingle_batches``
    returns per row."""
    config = hasher_config(spec)
    udf = java_udfs.new_instance(spark, JVM_CLASS, config)
    return java_udfs.call_udf(spark, "dq_shingles_", config, udf, SHINGLES_TYPE, text)
