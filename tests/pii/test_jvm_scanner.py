"""The Java PII scanner finds exactly what the reference SQL detectors find.

``engine="sql"`` (regexes, marker splitting and validators as Spark SQL expressions) is the
definition; ``engine="jvm"`` is ``io.dqengine.pii.PiiScanner``, which the stage uses by default. Every
finding (type, offsets, detector, value) and every stage output must be identical.
"""

from __future__ import annotations

import random

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dq_engine.core.context import RunContext
from dq_engine.pii import PiiMask, jvm
from dq_engine.pii.detectors import DETECTORS, find_pii, select_detectors
from dq_engine.pii.synth import generate

# Fragments that start, complete or break every detector, plus what moves offsets (characters
# beyond the BMP), the SQL path's marker characters and Unicode digits/letters that ASCII classes
# must not take.
PIECES = [
    "john.doe@example.com", "a@b", "@", "x.y@mail.exemple.fr", "+49 30 12345678", "+44 (0)113 496 0000",
    "(212) 555-0147", "212.555.0199", "020 7946 0958", "01 23 45 67 89", "089/1234567", "03-1234-5678",
    "00 33 1 23 45 67 89", "192.168.1.20", "8.8.8.8", "v1.2.3.4", "version 10.0.1.5", "256.1.1.1",
    "2001:db8::8a2e:370:7334", "fe80:0:0:0:202:b3ff:fe1e:8329", "::", "a::b::c", "12:30:45",
    "4111 1111 1111 1111", "4111 1111 1111 1112", "3782 822463 10005", "4012888888881881",
    "9780306406157", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "GB83 WEST 1234 5698 7654 32",
    "XX12 ABCD 1234 5678 90", "123-45-6789", "000-12-3456", "078 05 1120", "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "glpat-abcdefghij1234567890",
    "xoxb-123456789012-abcdefABCDEF",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA+/abc\n", "-----END RSA PRIVATE KEY-----",
    "postgres://bob:S3cretPw9x@db.example.com/app", "https://u:p@h", "api_key=9fK2xLq81ZpQwE",
    "password: \"Tr0ub4dor&3x\"", "token=aaaaaaaa1", "secret: abcdefgh12345678", "born on 12/03/1985",
    "DOB: March 5, 1980", "geboren am 03.04.1977", "née le 4 mai 1990", "Né le 12/03/1985", "born 31.12.99",
    "221 Baker Street", "Hauptstraße 5", "1600 Pennsylvania Avenue, Apt. 4", "12 Main findings",
    "😀", "𝟙𝟚𝟛", "١٢٣", "\u0001", "\u0002", "\u0001x\u0002", " ", " ", " ", "\n", "\t", "-", ".", ",",
    "/", ":", "(", ")", "0", "1", "12", "123", "1234", "A", "x", "the", "ß", "é",
]  # fmt: skip


def _random_docs(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _labelled_docs() -> list[str]:
    docs = [d.text for d in generate(n_per_type=40, n_negative_docs=100, seed=3)]
    rng = random.Random(4)
    # the same documents with characters beyond the BMP or marker characters at random places
    shifted = []
    for text in docs[:120]:
        at = rng.randint(0, len(text))
        shifted.append(text[:at] + rng.choice(["😀", "\u0001", "𝟙 ", "\u0002\u0001"]) + text[at:])
    return docs + shifted


def _findings(df: DataFrame, engine: str, **kwargs: object) -> dict[int, list[tuple]]:
    out = find_pii(df, "text", "f", engine=engine, **kwargs)  # type: ignore[arg-type]
    rows = out.select("i", "f").collect()
    return {r["i"]: [tuple(f) for f in r["f"]] for r in rows}


def _assert_same(spark: SparkSession, docs: list[str | None], **kwargs: object) -> dict[int, list[tuple]]:
    df = spark.createDataFrame(list(enumerate(docs)), "i int, text string")
    sql = _findings(df, "sql", **kwargs)
    java = _findings(df, "jvm", **kwargs)
    assert len(java) == len(docs)
    for i, text in enumerate(docs):
        assert java[i] == sql[i], f"doc {i} {text!r}"
    return java


def test_the_jar_is_on_the_test_sessions_classpath(spark: SparkSession) -> None:
    assert jvm.jvm_available(spark)


def test_jvm_equals_sql_on_the_labelled_set(spark: SparkSession) -> None:
    docs: list[str | None] = [*_labelled_docs(), None, ""]
    found = _assert_same(spark, docs)
    # not vacuous: most detectors fire (the generator picks phone countries at random)
    assert len({f[3] for fs in found.values() for f in fs}) >= len(DETECTORS) - 3
    assert sum(len(fs) for fs in found.values()) > 500


def test_jvm_equals_sql_on_random_fragments(spark: SparkSession) -> None:
    docs: list[str | None] = list(_random_docs(2000, seed=17))
    found = _assert_same(spark, docs)
    assert {f[3] for fs in found.values() for f in fs} == {d.name for d in DETECTORS}
    assert sum(len(fs) for fs in found.values()) > 2000
    # some findings sit after a character beyond the BMP (code-point and UTF-16 offsets differ)
    assert any(
        len(docs[i][: f[1]].encode("utf-16-le")) // 2 != f[1]  # type: ignore[index]
        for i, fs in found.items()
        for f in fs
    )


def test_jvm_equals_sql_for_a_type_subset_and_merged_ner_findings(spark: SparkSession) -> None:
    docs: list[str | None] = [*_random_docs(400, seed=23), None]
    _assert_same(spark, docs, detectors=select_detectors(["PHONE", "CREDIT_CARD", "EMAIL"]))
    # an NER column whose spans overlap structured ones: both engines merge and resolve them alike
    df = spark.createDataFrame(list(enumerate(docs)), "i int, text string")
    ner = F.when(
        F.length("text") > 6,
        F.array(
            F.struct(
                F.lit("PERSON").alias("type"),
                F.lit(2).alias("start"),
                F.lit(6).alias("end"),
                F.lit("test_ner").alias("detector"),
                F.substring("text", 3, 4).alias("value"),
            )
        ),
    ).otherwise(F.array().cast("array<struct<type:string,start:int,end:int,detector:string,value:string>>"))
    df = df.withColumn("ner", ner)
    sql = _findings(df, "sql", extra=["ner"])
    java = _findings(df, "jvm", extra=["ner"])
    assert java == sql
    assert any(f[3] == "test_ner" for fs in java.values() for f in fs)


def test_the_jvm_plan_is_one_call_per_scan(spark: SparkSession) -> None:
    df = spark.createDataFrame([(0, "mail a@b.cd")], "i int, text string")
    plans = {
        engine: find_pii(df, "text", "f", engine=engine)._jdf.queryExecution().executedPlan().toString()
        for engine in ("jvm", "sql")
    }
    assert plans["jvm"].count("dq_pii_findings_") == 1
    assert "regexp_replace" not in plans["jvm"]
    assert "dq_pii_findings_" not in plans["sql"] and "regexp_replace" in plans["sql"]


@pytest.mark.parametrize(
    "params",
    [
        {"strategy": "placeholder", "max_density": 5.0, "min_findings_to_drop": 2},
        {"strategy": "partial", "strategies": {"EMAIL": "hash"}, "types": ["EMAIL", "CREDIT_CARD", "PHONE"]},
    ],
)
def test_the_stage_gives_the_same_rows_on_both_engines(
    spark: SparkSession, ctx: RunContext, monkeypatch: pytest.MonkeyPatch, params: dict
) -> None:
    monkeypatch.setenv("DQ_ENGINE_PII_SALT", "test-salt-for-equality")
    docs: list[str | None] = [*_labelled_docs()[:150], *_random_docs(150, seed=31), None]
    df = spark.createDataFrame([(str(i), t) for i, t in enumerate(docs)], "doc_id string, text string")
    rows = {}
    for engine in ("jvm", "sql"):
        stage = PiiMask({**params, "engine": engine}, label="pii")
        out = stage.apply(df, ctx)
        rows[engine] = sorted(tuple(r) for r in out.collect())
    assert rows["jvm"] == rows["sql"]
