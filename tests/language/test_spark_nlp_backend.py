"""language with backend spark_nlp: a Spark NLP + Spark ML pipeline fitted, saved and loaded from a folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from dq_engine.core.context import RunContext
from dq_engine.language import LanguageFilter

FAKER_SET = REPO_ROOT / "data" / "langid" / "faker_multilingual.jsonl"


@pytest.mark.slow  # fits and saves a pipeline in the JVM
def test_saved_pipeline_folder_is_a_language_backend(
    spark: SparkSession, ctx: RunContext, tmp_path: Path
) -> None:
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import NaiveBayes
    from pyspark.ml.feature import (
        HashingTF,
        IndexToString,
        NGram,
        RegexTokenizer,
        StringIndexer,
        VectorAssembler,
    )
    from sparknlp.annotator import Tokenizer
    from sparknlp.base import DocumentAssembler, Finisher

    data = (
        spark.read.json(str(FAKER_SET))
        .where("kind = 'long'")
        .select(F.col("id").alias("doc_id"), F.col("lang").alias("truth"), "text")
    )
    train, test = data.randomSplit([0.5, 0.5], seed=11)
    indexer = StringIndexer(inputCol="truth", outputCol="label").fit(train)
    # A user's pipeline: Spark NLP annotators for word tokens, Spark ML for character bigrams (scripts
    # without spaces), hashed counts of both, and a multinomial naive Bayes classifier.
    pipeline = Pipeline(
        stages=[
            DocumentAssembler().setInputCol("text").setOutputCol("document"),
            Tokenizer().setInputCols(["document"]).setOutputCol("token"),
            Finisher().setInputCols(["token"]).setOutputCols(["words"]).setCleanAnnotations(True),
            HashingTF(inputCol="words", outputCol="word_tf", numFeatures=1 << 14),
            RegexTokenizer(inputCol="text", outputCol="chars", pattern="", gaps=True),
            NGram(n=2, inputCol="chars", outputCol="bigrams"),
            HashingTF(inputCol="bigrams", outputCol="char_tf", numFeatures=1 << 14),
            VectorAssembler(inputCols=["word_tf", "char_tf"], outputCol="features"),
            NaiveBayes(smoothing=0.1),
            IndexToString(inputCol="prediction", outputCol="language", labels=indexer.labels),
        ]
    )
    folder = tmp_path / "lid-pipeline"
    pipeline.fit(indexer.transform(train)).write().save(str(folder))

    stage = LanguageFilter({"backend": "spark_nlp", "model_path": str(folder), "allow": {"en": 0.5}})
    out = stage.apply(test, ctx)
    assert set(out.columns) == {
        *test.columns,
        "lang",
        "lang_score",
        "lang_script",
        "language_score",
        "language_reason",
    }
    rows = out.collect()
    accuracy = sum(r["lang"] == r["truth"] for r in rows) / len(rows)
    assert accuracy >= 0.9
    assert all(0 < r["lang_score"] <= 1 for r in rows)
    en = [r for r in rows if r["truth"] == "en" and r["lang"] == "en"]
    assert en and all(r["language_reason"] in (None, "low_language_score") for r in en)
    assert all(r["language_reason"] == "language_not_allowed" for r in rows if r["lang"] not in ("en", None))
