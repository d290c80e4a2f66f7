"""The structured detectors run in one Java call per document (``io.dqengine.pii.PiiScanner``).

:mod:`dq_engine.pii.detectors` (patterns, gates, validator names) and :mod:`dq_engine.pii.validators`
(the validators as Spark SQL) define what is found; the SQL path that evaluates them stays the
reference. The Java class receives the same patterns and gates, runs the validators of the same
names, and returns exactly the findings the SQL path returns (``tests/pii/test_jvm_scanner.py``
holds them equal). Its query plan is one UDF call instead of several hundred expressions, which is
most of what the SQL path spends on a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pyspark.sql import Column, SparkSession
from pyspark.sql.types import DataType

from dq_engine.core import java_udfs

JVM_CLASS = "io.dqengine.pii.PiiScanner"

_RECORD_SEP, _FIELD_SEP, _ITEM_SEP = "\x1e", "\x1f", "\x1d"
_SEPARATORS = (_RECORD_SEP, _FIELD_SEP, _ITEM_SEP)


class DetectorFields(Protocol):
    """What is read of a :class:`dq_engine.pii.detectors.Detector` (which imports this module)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def pattern(self) -> str: ...
    @property
    def gate(self) -> str | None: ...
    @property
    def check(self) -> str | None: ...
    @property
    def starts(self) -> str | None: ...
    @property
    def not_after(self) -> str | None: ...
    @property
    def needs(self) -> str | None: ...
    @property
    def anchors(self) -> tuple[str, ...] | None: ...


def jvm_available(spark: SparkSession) -> bool:
    """Whether ``PiiScanner`` can be loaded by the session's JVM."""
    return java_udfs.class_available(spark, JVM_CLASS)


def scanner_config(detectors: Sequence[DetectorFields], resolve: bool) -> str:
    """The constructor argument of ``PiiScanner`` for ``detectors`` (in rank order)."""
    records = ["1" if resolve else "0"]
    for d in detectors:
        anchors = list(d.anchors or ())
        fields = [d.name, d.type, d.pattern, d.gate or "", d.check or "-", d.starts or "", d.not_after or ""]
        fields.append(d.needs or "")
        if any(sep in f for f in [*fields, *anchors] for sep in _SEPARATORS):
            raise ValueError(f"detector {d.name!r}: fields must not contain U+001D, U+001E or U+001F")
        if any(not a or a != a.lower() for a in anchors):
            raise ValueError(f"detector {d.name!r}: anchors must be non-empty and lower-case")
        records.append(_FIELD_SEP.join([*fields, _ITEM_SEP.join(anchors)]))
    return _RECORD_SEP.join(records)


def findings_column(
    spark: SparkSession,
    text: Column,
    detectors: Sequence[DetectorFields],
    finding_type: DataType,
    resolve: bool = True,
) -> Column:
    """``array<struct<type, start, end, detector, value>>`` of ``text`` from one Java call per row:
    sorted and without overlaps when ``resolve``, else every validated match (for a caller that merges
    more findings and resolves them itself).

    Raises:
        ValueError: when the Java class reports other detectors than ``detectors`` (a stale jar).
    """
    config = scanner_config(detectors, resolve)
    udf = java_udfs.new_instance(spark, JVM_CLASS, config)
    names = str(udf.detectorNames()).split(",") if detectors else []
    if names != [d.name for d in detectors]:
        raise ValueError(f"{JVM_CLASS} read detectors {names}: rebuild it (make jars)")
    return java_udfs.call_udf(spark, "dq_pii_findings_", config, udf, finding_type, text)
