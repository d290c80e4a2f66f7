"""Each JVM part of the stack loads in the one test session: Delta, Deequ, Spark NLP."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

from dq_engine.spark import find_jars


def test_jar_closure_has_the_engine_artifacts() -> None:
    names = [j.name for j in find_jars()]
    for prefix in ("delta-spark_", "deequ-", "spark-nlp_", "dq-engine-codecs-"):
        assert any(n.startswith(prefix) for n in names), prefix


def test_delta_write_and_time_travel(spark: SparkSession, tmp_path: Path) -> None:
    path = str(tmp_path / "t")
    spark.createDataFrame([(1, "a")], "id int, v string").write.format("delta").save(path)
    spark.createDataFrame([(2, "b")], "id int, v string").write.format("delta").mode("append").save(path)
    assert spark.read.format("delta").option("versionAsOf", 0).load(path).count() == 1
    assert spark.read.format("delta").load(path).count() == 2


def test_deequ_verification_suite_runs(spark: SparkSession) -> None:
    from pydeequ.checks import Check, CheckLevel
    from pydeequ.verification import VerificationResult, VerificationSuite

    df = spark.createDataFrame([(1,), (1,)], "id int")
    check = Check(spark, CheckLevel.Error, "ids").isUnique("id")
    result = VerificationSuite(spark).onData(df).addCheck(check).run()
    rows = VerificationResult.checkResultsAsDataFrame(spark, result).collect()
    assert [r["constraint_status"] for r in rows] == ["Failure"]


def test_spark_nlp_tokenizer_pipeline(spark: SparkSession) -> None:
    from pyspark.ml import Pipeline
    from sparknlp.annotator import Tokenizer
    from sparknlp.base import DocumentAssembler

    df = spark.createDataFrame([("Spark NLP tokenizes text.",)], "text string")
    pipeline = Pipeline(
        stages=[
            DocumentAssembler().setInputCol("text").setOutputCol("document"),
            Tokenizer().setInputCols(["document"]).setOutputCol("token"),
        ]
    )
    tokens = pipeline.fit(df).transform(df).selectExpr("token.result AS t").head()["t"]
    assert tokens == ["Spark", "NLP", "tokenizes", "text", "."]


def test_zstd_landing_files_decode_without_native_hadoop(spark: SparkSession, tmp_path: Path) -> None:
    import zstandard

    (tmp_path / "a.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(b"one\ntwo\n"))
    assert sorted(r["value"] for r in spark.read.text(str(tmp_path)).collect()) == ["one", "two"]


def test_adopting_an_active_session_keeps_it_and_registers_the_codec(spark: SparkSession) -> None:
    from dq_engine.spark.session import ZSTD_CODEC, build_session

    adopted = build_session(conf={"spark.sql.shuffle.partitions": "2"})
    assert adopted is spark
    assert adopted.conf.get("io.compression.codecs") == ZSTD_CODEC  # the class loaded from spark.jars
