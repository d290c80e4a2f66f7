"""toxicity with backend spark_nlp: a Spark NLP + Spark ML pipeline fitted on the shipped tweets, saved,
loaded from its folder and run by the stage in the JVM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dq_engine.core.context import RunContext
from dq_engine.core.stage import StageError
from dq_engine.toxicity import ToxicityFilter

DAVIDSON = REPO_ROOT / "data" / "toxicity" / "davidson_sample.csv"


def _tweets(spark: SparkSession) -> DataFrame:
    raw = spark.read.csv(str(DAVIDSON), header=True, multiLine=True, escape='"')
    # toxic = hate speech (0) or offensive (1); 2 = neither
    return raw.select(
        F.col("row").alias("doc_id"),
        F.col("tweet").alias("text"),
        F.when(F.col("class").isin("0", "1"), 1.0).otherwise(0.0).alias("label"),
    )


@pytest.fixture(scope="module")
def saved_pipeline(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DataFrame]:
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import IDF, HashingTF
    from sparknlp.annotator import Normalizer, Tokenizer
    from sparknlp.base import DocumentAssembler, Finisher

    train, test = _tweets(spark).randomSplit([0.7, 0.3], seed=7)
    # A user's classifier: Spark NLP annotators for normalised word tokens, Spark ML tf-idf and a
    # logistic regression whose probability vector has the toxic class at index 1.
    pipeline = Pipeline(
        stages=[
            DocumentAssembler().setInputCol("text").setOutputCol("document"),
            Tokenizer().setInputCols(["document"]).setOutputCol("token"),
            Normalizer().setInputCols(["token"]).setOutputCol("normal").setLowercase(True),
            Finisher().setInputCols(["normal"]).setOutputCols(["words"]).setCleanAnnotations(True),
            HashingTF(inputCol="words", outputCol="tf", numFeatures=1 << 16),
            IDF(inputCol="tf", outputCol="features"),
            LogisticRegression(maxIter=50, regParam=0.01),
        ]
    )
    folder = tmp_path_factory.mktemp("toxicity-pipeline") / "model"
    pipeline.fit(train).write().save(str(folder))
    return str(folder), test.cache()


def _stage(folder: str, **extra: Any) -> ToxicityFilter:
    params = {"backend": "spark_nlp", "model_path": folder, "model_classes": {"offensive": 1}, **extra}
    return ToxicityFilter(params, label="tox")


@pytest.mark.slow  # fits and saves a pipeline in the JVM
def test_saved_pipeline_scores_equal_the_pipeline_and_separate_the_classes(
    spark: SparkSession, ctx: RunContext, saved_pipeline: tuple[str, DataFrame]
) -> None:
    from pyspark.ml import PipelineModel

    folder, test = saved_pipeline
    out = _stage(folder, model_languages=[]).apply(test, ctx)
    # only the stage's own columns are added: none of the pipeline's intermediate ones
    assert out.columns == [*test.columns, "tox_offensive", "tox_score", "tox_reason"]
    direct = (
        PipelineModel.load(folder)
        .transform(test)
        .select("doc_id", vector_to_array("probability").getItem(1).alias("p"))
    )
    joined = out.join(direct, "doc_id").select("tox_offensive", "p", "label", "tox_reason").collect()
    assert len(joined) == test.count() > 800
    assert all(r["tox_offensive"] == r["p"] for r in joined)  # the same model, the same numbers
    flagged = [r for r in joined if r["tox_reason"] == "toxic_offensive"]
    assert all(r["tox_offensive"] >= 0.5 for r in flagged)
    tp = sum(r["label"] == 1.0 for r in flagged)
    positives = sum(r["label"] == 1.0 for r in joined)
    precision, recall = tp / len(flagged), tp / positives
    # held-out tweets of the shipped sample (2:1 toxic); measured 0.806 / 0.962 when written: a small
    # tf-idf model over 2,100 tweets, there to prove the backend, not to compete with the default
    assert precision >= 0.75 and recall >= 0.9, (precision, recall)


@pytest.mark.slow
def test_blank_and_other_language_texts_are_not_judged_and_text_is_kept(
    spark: SparkSession, ctx: RunContext, saved_pipeline: tuple[str, DataFrame]
) -> None:
    folder, _ = saved_pipeline
    docs = spark.createDataFrame(
        [("a", None, None), ("b", "   ", "en"), ("c", "you stupid idiot " * 3, "de"), ("d", "x" * 500, "en")],
        "doc_id string, text string, lang string",
    )
    rows = {r["doc_id"]: r for r in _stage(folder, max_chars=50).apply(docs, ctx).collect()}
    assert rows["a"]["tox_offensive"] is None and rows["a"]["text"] is None
    assert rows["b"]["tox_offensive"] is None and rows["b"]["tox_reason"] is None
    assert rows["c"]["tox_offensive"] is None  # German: outside model_languages [en]
    assert (
        rows["d"]["tox_offensive"] is not None and rows["d"]["text"] == "x" * 500
    )  # clipped for the model only


def test_spark_nlp_backend_needs_a_folder_and_classes() -> None:
    with pytest.raises(StageError, match="model_path and model_classes"):
        ToxicityFilter({"backend": "spark_nlp"})
    with pytest.raises(StageError, match="model_path and model_classes"):
        ToxicityFilter({"backend": "spark_nlp", "model_path": "/m"})
    stage = ToxicityFilter(
        {"backend": "spark_nlp", "model_path": "/m", "model_classes": {"hate": 0, "abuse": 2}}
    )
    assert stage.params.thresholds == {"hate": 0.5, "abuse": 0.5}  # type: ignore[attr-defined]
    with pytest.raises(StageError, match="unknown categories"):
        ToxicityFilter(
            {"backend": "spark_nlp", "model_path": "/m", "model_classes": {"a": 1}, "thresholds": {"b": 1}}
        )


def test_a_pipeline_without_the_output_column_is_a_clear_error(
    spark: SparkSession, ctx: RunContext, tmp_path: Path
) -> None:
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Tokenizer

    docs = spark.createDataFrame([("a", "some text")], "doc_id string, text string")
    folder = str(tmp_path / "tokens-only")
    Pipeline(stages=[Tokenizer(inputCol="text", outputCol="words")]).fit(docs).write().save(folder)
    with pytest.raises(ValueError, match="writes no column 'probability'"):
        _stage(folder).apply(docs, ctx)
