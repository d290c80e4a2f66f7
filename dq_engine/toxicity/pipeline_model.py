"""Toxicity scores from a saved Spark ML / Spark NLP ``PipelineModel`` the user provides as a folder.

Air-gapped clusters keep models on S3/DBFS: the folder is read with ``PipelineModel.load`` (never a
download) and the pipeline runs in the JVM on the executors, so no Python worker is involved. The
pipeline reads the ``text`` column (Spark NLP annotators such as ``DocumentAssembler``, ``Tokenizer``,
``Normalizer`` and ``Finisher`` may prepare features) and must end in a Spark ML classifier whose
probability vector (``model_output``, ``probability`` by default) holds one class per category:
``model_classes`` maps each category to its index there. Spark NLP's deep-learning classifiers
(``ClassifierDLModel`` and friends) need TensorFlow natives that these machines cannot install, so they
are not supported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.ml import PipelineModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C

if TYPE_CHECKING:
    from dq_engine.toxicity.filter import ToxicityParams

_ORIGINAL_TEXT = "_tox_original_text"


def score_with_pipeline(
    df: DataFrame, p: ToxicityParams, judged: Column
) -> tuple[DataFrame, dict[str, Column]]:
    """``df`` after the saved pipeline at ``p.model_path``, and a score Column per category.

    The pipeline sees the first ``p.max_chars`` characters of ``text`` (null as empty); the original
    ``text`` is restored afterwards and only ``df``'s columns are kept, plus the probability array
    under a temporary name that the caller drops.
    """
    assert p.model_path is not None
    model = PipelineModel.load(p.model_path)
    clipped = F.coalesce(F.substring(F.col(C.TEXT), 1, p.max_chars), F.lit(""))
    inp = df.withColumn(_ORIGINAL_TEXT, F.col(C.TEXT)).withColumn(C.TEXT, clipped)
    out = model.transform(inp)
    if p.model_output not in out.columns:
        raise ValueError(
            f"toxicity: the pipeline at {p.model_path} writes no column {p.model_output!r} "
            f"(it writes {sorted(set(out.columns) - set(inp.columns))})"
        )
    probs = "_tox_probability"
    out = out.select(
        *[F.col(_ORIGINAL_TEXT).alias(C.TEXT) if c == C.TEXT else F.col(c) for c in df.columns],
        vector_to_array(F.col(p.model_output)).alias(probs),
    )
    scores = {
        category: F.when(judged, F.element_at(F.col(probs), index + 1))
        for category, index in p.model_classes.items()
    }
    return out, scores
