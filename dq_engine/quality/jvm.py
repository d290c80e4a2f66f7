"""The quality signals computed in the JVM in one pass per document (``io.dqengine.quality.QualitySignals``).

The SQL expressions of :mod:`dq_engine.quality.signals` and the Arrow function of
:mod:`dq_engine.quality.repetition` define the signals; they stay the reference. Evaluated as ~20
regular-expression passes plus a round trip through a Python worker, they cost about 1.4 ms per
300-word document. The Java class (``conf/jars/udfs``, built into ``jars/`` by ``make jars``) reads each
document once and returns the same values; ``tests/quality/test_jvm_signals.py`` holds the two to
exact equality.

The class must be on the driver's and executors' classpath (``spark.jars``, ``--jars``, Glue
``--extra-jars``, a cluster library): :func:`jvm_available` says whether it is, so the stage can fall
back to the SQL path on a cluster that was not given the jar.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, SparkSession
from pyspark.sql.types import BooleanType, DataType, DoubleType, IntegerType, StructField, StructType

from dq_engine.core import java_udfs
from dq_engine.quality.repetition import dup_field, top_field

JVM_CLASS = "io.dqengine.quality.QualitySignals"

#: Types of the non-double signals (every other signal is a double ratio), as the SQL path types them.
_TYPES: dict[str, DataType] = {
    "word_count": IntegerType(),
    "stop_word_count": IntegerType(),
    "sentence_count": IntegerType(),
    "has_lorem_ipsum": BooleanType(),
    "has_curly_bracket": BooleanType(),
}

_FIELD_SEP, _WORD_SEP = "\x1e", "\x1f"


def jvm_available(spark: SparkSession) -> bool:
    """Whether ``QualitySignals`` can be loaded by the session's JVM (its jar is on the classpath)."""
    return java_udfs.class_available(spark, JVM_CLASS)


def signal_struct_type(
    base_signals: Sequence[str], top_ns: Sequence[int], dup_ns: Sequence[int]
) -> StructType:
    names = [*base_signals, *(top_field(n) for n in top_ns), *(dup_field(n) for n in dup_ns)]
    return StructType([StructField(n, _TYPES.get(n, DoubleType()), True) for n in names])


def signals_column(
    spark: SparkSession,
    text: Column,
    *,
    base_signals: Sequence[str],
    stop_words: Sequence[str],
    short_line_length: int,
    top_ns: Sequence[int],
    dup_ns: Sequence[int],
) -> Column:
    """A struct Column with every signal of ``text``, from one JVM UDF call per row.

    Registers one UDF per configuration in ``spark``'s function registry (a name derived from the
    configuration, so re-registering is harmless and two configurations never share one).

    Raises:
        ValueError: when the Java class returns fields other than ``base_signals`` + the n-gram fields
            (a jar built from other sources than this package).
    """
    for w in stop_words:
        if _FIELD_SEP in w or _WORD_SEP in w:
            raise ValueError("stop words must not contain the control characters U+001E or U+001F")
    config = _FIELD_SEP.join(
        [
            _WORD_SEP.join(w.lower() for w in stop_words),
            str(int(short_line_length)),
            ",".join(str(int(n)) for n in top_ns),
            ",".join(str(int(n)) for n in dup_ns),
        ]
    )
    schema = signal_struct_type(base_signals, top_ns, dup_ns)
    udf = java_udfs.new_instance(spark, JVM_CLASS, config)
    fields = str(udf.fieldNames()).split(",")
    if fields != schema.fieldNames():
        raise ValueError(
            f"{JVM_CLASS} returns {fields}, expected {schema.fieldNames()}: rebuild it (make jars)"
        )
    return java_udfs.call_udf(spark, "dq_quality_signals_", config, udf, schema, text)
