"""Unicode and whitespace normalization of ``text``."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import StringType

from dq_engine.core import columns as C
from dq_engine.core import java_udfs
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Stage


class NormalizeTextParams(BaseModel):
    """Parameters of :class:`NormalizeText`."""

    model_config = ConfigDict(extra="forbid")

    form: Literal["NFC", "NFKC", "none"] = "NFC"
    strip_control: bool = True
    strip_zero_width: bool = True
    collapse_spaces: bool = True
    max_blank_lines: int = 1
    strip: bool = True
    #: ``jvm``: one Java UDF call per row (``io.dqengine.normalize.TextNormalizer``); ``sql``: the
    #: reference below; ``auto``: ``jvm`` when its jar is on the classpath
    engine: java_udfs.Engine = "auto"


#: the Java class that rewrites a row in one call (``conf/jars/udfs``)
JVM_CLASS = "io.dqengine.normalize.TextNormalizer"


@pandas_udf(StringType())  # type: ignore[call-overload]
def _nfc(text: pd.Series) -> pd.Series:
    return text.str.normalize("NFC")  # null stays null


@pandas_udf(StringType())  # type: ignore[call-overload]
def _nfkc(text: pd.Series) -> pd.Series:
    return text.str.normalize("NFKC")


class NormalizeText(Stage):
    """Normalize Unicode form and whitespace in place.

    Reads ``text``; rewrites ``text`` and adds ``text_chars_removed`` (characters removed, >= 0 in the
    common case; NFKC can also expand). Order: Unicode form, control and zero-width characters,
    ``\\r\\n`` -> ``\\n``, runs of spaces/tabs -> one space, trailing spaces on a line, blank-line runs,
    leading/trailing whitespace.

    The reference (``engine: sql``): Unicode normalization has no Spark SQL function, so it is an
    Arrow ``pandas_udf`` and only runs on rows that contain a non-ASCII character (ASCII is already in
    every normal form); everything else is ``regexp_replace``. ``engine: jvm`` (the default when the
    jar is on the classpath) does the same rewrite in one Java UDF call per row: the same patterns in
    the same order, Java's ``Normalizer`` for the Unicode form.
    """

    name = "normalize_text"
    Params = NormalizeTextParams
    requires = (C.TEXT,)
    adds = ("text_chars_removed",)

    def _p(self) -> NormalizeTextParams:
        assert isinstance(self.params, NormalizeTextParams)
        return self.params

    def jvm_normalized(self, spark: SparkSession, text: Column) -> Column:
        """The normalization as one call of the Java UDF per row (same result as :meth:`normalized`)."""
        p = self._p()
        flags = (p.strip_control, p.strip_zero_width, p.collapse_spaces)
        config = ",".join(
            [p.form, *("1" if f else "0" for f in flags), str(p.max_blank_lines), "1" if p.strip else "0"]
        )
        udf = java_udfs.new_instance(spark, JVM_CLASS, config)
        return java_udfs.call_udf(spark, "dq_normalize_text_", config, udf, StringType(), text)

    def normalized(self, text: Column) -> Column:
        """The normalization as a Column expression over ``text`` (the reference, ``engine: sql``)."""
        p = self.params
        assert isinstance(p, NormalizeTextParams)
        out = text
        if p.form != "none":
            udf = _nfc if p.form == "NFC" else _nfkc
            # A Python UDF is evaluated for every row of its input whatever `when` surrounds it, so
            # ASCII rows (already in every normal form) are sent to it as nulls: only non-ASCII text
            # crosses to Python.
            out = F.coalesce(udf(F.when(out.rlike("[^\\x00-\\x7F]"), out)), out)
        out = F.regexp_replace(out, "\r\n?", "\n")
        if p.strip_control:
            out = F.regexp_replace(out, "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F\\x{80}-\\x{9F}]", "")
        if p.strip_zero_width:
            out = F.regexp_replace(out, "[\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}\\x{00AD}]", "")
        if p.collapse_spaces:
            out = F.regexp_replace(out, "[ \\t\\x{00A0}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}]+", " ")
            out = F.regexp_replace(out, " *\n *", "\n")
        if p.max_blank_lines >= 0:
            out = F.regexp_replace(
                out, "\n{" + str(p.max_blank_lines + 2) + ",}", "\n" * (p.max_blank_lines + 1)
            )
        if p.strip:
            out = F.regexp_replace(out, "^\\s+|\\s+$", "")
        return out

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        before = F.length(F.col(C.TEXT))
        spark = df.sparkSession
        if java_udfs.use_jvm(self._p().engine, spark, JVM_CLASS, self.label):
            rewritten = self.jvm_normalized(spark, F.col(C.TEXT))
        else:
            rewritten = self.normalized(F.col(C.TEXT))
        out = df.withColumn("_text_before_len", before).withColumn(C.TEXT, rewritten)
        return out.withColumn(
            "text_chars_removed", (F.col("_text_before_len") - F.length(C.TEXT)).cast("int")
        ).drop("_text_before_len")
