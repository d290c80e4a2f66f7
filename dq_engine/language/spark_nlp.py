"""Language ID with a saved Spark ML / Spark NLP ``PipelineModel`` the user provides as a folder.

Air-gapped clusters keep models on S3/DBFS; the pipeline is loaded with ``PipelineModel.load`` (never
``pretrained()``, which downloads) and runs in the JVM on the executors. The pipeline reads the
``text`` column and writes the label to ``spark_nlp_output``: a string column (Spark ML, e.g. an
``IndexToString`` after a classifier) or a Spark NLP annotation array (``LanguageDetectorDL``-style,
label in ``result``, confidence in ``metadata``). The score is the classifier's highest class
probability (a ``probability`` vector column) when the pipeline has one, else the annotation's
confidence for the label, else null.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.ml import PipelineModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType, StructType

from dq_engine.core import columns as C

if TYPE_CHECKING:
    from dq_engine.language.filter import LanguageParams


def _label_and_score(out: DataFrame, column: str) -> tuple[Column, Column]:
    dtype = out.schema[column].dataType
    if isinstance(dtype, StringType):
        label, score = F.col(column), F.lit(None).cast("double")
    elif isinstance(dtype, ArrayType) and isinstance(dtype.elementType, StructType):
        first = F.element_at(F.col(column), 1)
        label = first["result"]
        score = F.element_at(first["metadata"], label).cast("double")
    else:
        raise ValueError(f"spark_nlp_output {column!r} is {dtype.simpleString()}, not a label column")
    if "probability" in out.columns:
        score = F.array_max(vector_to_array(F.col("probability")))
    return label, score


def _iso639_1(label: Column) -> Column:
    # the same normalisation as codes.to_iso639_1 for 2-letter and "xx_Scrp"/"xx-YY" labels
    return F.lower(F.split(F.regexp_replace(label, "-", "_"), "_").getItem(0))


def identify_with_pipeline(
    df: DataFrame, p: LanguageParams, score_column: str, letters_column: str
) -> DataFrame:
    """``df`` with ``lang``, ``lang_score``, ``lang_script`` (null: the pipeline does not say), the
    filter's score column and a letters count, computed by the saved pipeline at ``p.model_path``."""
    from dq_engine.language.filter import LANG, LANG_SCORE, LANG_SCRIPT

    assert p.model_path is not None
    model = PipelineModel.load(p.model_path)
    sample = F.substring(F.coalesce(F.col(C.TEXT), F.lit("")), 1, p.max_chars)
    letters = F.length(F.regexp_replace(sample, r"\P{L}+", ""))
    out = model.transform(df)
    label, score = _label_and_score(out, p.spark_nlp_output)
    judged = letters >= p.min_letters
    return out.select(
        *[F.col(c) for c in df.columns],
        F.when(judged, _iso639_1(label)).alias(LANG),
        F.when(judged, score).alias(LANG_SCORE),
        F.lit(None).cast("string").alias(LANG_SCRIPT),
        letters.alias(letters_column),
    ).withColumn(score_column, F.col(LANG_SCORE))
