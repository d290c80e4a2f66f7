"""quality_heuristics: each rule on a positive and a negative example; signals vs hand-computed values."""

from __future__ import annotations

from typing import Any

import pytest
from pyspark.sql import SparkSession

from dq_engine.config.models import StageSpec
from dq_engine.core.context import RunContext
from dq_engine.core.registry import create_stage
from dq_engine.core.stage import StageError
from dq_engine.quality import QualityHeuristics, QualityHeuristicsParams

DISTINCT = " ".join(f"word{i}" for i in range(40))


def _only(**enabled: Any) -> dict[str, Any]:
    """Params with every rule off except ``enabled``."""
    off: dict[str, Any] = {}
    for name, field in QualityHeuristicsParams.model_fields.items():
        if name in ("stop_words", "fineweb_short_line_length", "engine"):
            continue
        if field.annotation is bool:
            off[name] = False
        elif name in ("gopher_max_top_ngram", "gopher_max_dup_ngram"):
            off[name] = {}
        else:
            off[name] = None
    return {**off, **enabled}


def _words(n: int) -> str:
    return " ".join(f"the{i % 7}" if i % 3 else "the" for i in range(n))


# (reason, params that enable only this rule at its published default, fires-on text, passes text)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("gopher_short_doc", {"gopher_min_words": 50}, _words(49), _words(50)),
    ("gopher_long_doc", {"gopher_max_words": 100_000}, _words(100_001), _words(100_000)),
    ("gopher_below_avg_word_length", {"gopher_min_mean_word_length": 3}, "a bb c dd", "abc de fghi"),
    (
        "gopher_above_avg_word_length",
        {"gopher_max_mean_word_length": 10},
        "extraordinarily unbelievable",
        "ten chars!",
    ),
    ("gopher_too_many_hashes", {"gopher_max_hash_ratio": 0.1}, "#one #two three four", "#one " + DISTINCT),
    (
        "gopher_too_many_ellipsis",
        {"gopher_max_ellipsis_ratio": 0.1},
        "wait... what… now",
        "wait... " + DISTINCT,
    ),
    ("gopher_too_many_bullets", {"gopher_max_bullet_lines": 0.9}, "• a\n• b\n  • c", "• a\n• b\nplain"),
    (
        "gopher_too_many_end_ellipsis",
        {"gopher_max_ellipsis_lines": 0.3},
        "one...\ntwo…\nthree",
        "a...\nb\nc\nd",
    ),
    ("gopher_below_alpha_threshold", {"gopher_min_alpha_words": 0.8}, "one two 3 4", "one two three four 5"),
    (
        "gopher_few_stop_words",
        {"gopher_min_stop_words": 2},
        "The cat sat; theory other",
        "the cat and the dog",
    ),
    ("gopher_dup_line_ratio", {"gopher_max_dup_lines": 0.3}, "a\na\na\nb", "a\nb\nc\na"),
    ("gopher_dup_para_ratio", {"gopher_max_dup_paragraphs": 0.3}, "x\n\nx\n\ny", "x\n\ny\n\nz\n\nx"),
    (
        "gopher_dup_line_char_ratio",
        {"gopher_max_dup_line_chars": 0.2},
        "long line here\nlong line here\nz",
        "long line here\nshort\nshort",
    ),
    (
        "gopher_dup_para_char_ratio",
        {"gopher_max_dup_paragraph_chars": 0.2},
        "long para here\n\nlong para here\n\nz",
        "long para here\n\nshort\n\nshort",
    ),
    ("c4_lorem_ipsum", {"c4_lorem_ipsum": True}, "Some Lorem Ipsum dolor", "ipsum lorem dolor"),
    ("c4_curly_bracket", {"c4_curly_bracket": True}, "function() { return }", "a (b) [c]"),
    (
        "c4_javascript",
        {"c4_max_javascript_lines": 0.2},
        "Please enable JavaScript\nok",
        "a\nb\nc\nd\njavascript",
    ),
    (
        "c4_policy",
        {"c4_max_policy_lines": 0.2},
        "Read our Privacy Policy.\nok",
        "policy talk\nprivacy matters",
    ),
    ("c4_too_few_sentences", {"c4_min_sentences": 5}, "One. Two! Three? Four.", "A. B. C. D. E."),
    (
        "fineweb_line_punct_ratio",
        {"fineweb_min_punct_lines": 0.12},
        "no stop\nnone here",
        "has a stop.\nnone",
    ),
    (
        "fineweb_short_line_ratio",
        {"fineweb_max_short_lines": 0.67},
        "a\nb\nc",
        "x" * 31 + "\n" + "y" * 31 + "\nz",
    ),
    (
        "fineweb_char_dup_ratio",
        {"fineweb_max_dup_line_chars": 0.01},
        "same\nsame\n" + DISTINCT,
        "one\ntwo\nthree",
    ),
    ("fineweb_list_ratio", {"fineweb_max_newline_ratio": 0.3}, "a\nb\nc", "one two three four five\nsix"),
]
CASES += [
    (
        f"gopher_top_{n}gram",
        {"gopher_max_top_ngram": {n: frac}},
        " ".join([" ".join(["alpha", "bravo", "charl", "delta"][:n])] * 4) + " " + DISTINCT[:60],
        DISTINCT,
    )
    for n, frac in {2: 0.2, 3: 0.18, 4: 0.16}.items()
]
CASES += [
    (
        f"gopher_dup_{n}gram",
        {"gopher_max_dup_ngram": {n: frac}},
        " ".join(f"w{i}" for i in range(n)) + " " + " ".join(f"w{i}" for i in range(n)) + " tail end",
        # every (n-1)-gram repeats, no n-gram does
        " ".join(f"w{i}" for i in range(n - 1)) + " x " + " ".join(f"w{i}" for i in range(n - 1)) + " y",
    )
    for n, frac in {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}.items()
]


def test_every_published_rule_has_a_case() -> None:
    assert {c[0] for c in CASES} == set(QualityHeuristics.reasons)


def test_each_rule_fires_on_its_positive_and_not_on_its_negative(
    spark: SparkSession, ctx: RunContext
) -> None:
    # Signals do not depend on thresholds, so one scoring pass serves every rule; each rule's own
    # stage (only that rule enabled) then decides from those signals.
    rows = [
        (f"{reason}|{kind}", text)
        for reason, _, pos, neg in CASES
        for kind, text in (("pos", pos), ("neg", neg))
    ]
    docs = spark.createDataFrame(rows, "doc_id string, text string")
    scored = QualityHeuristics(label="qh").score(docs, ctx)
    reasons = {
        reason: QualityHeuristics(_only(**enabled), label="qh").reason(scored)
        for reason, enabled, _, _ in CASES
    }
    got = scored.select("doc_id", *[col.alias(reason) for reason, col in reasons.items()]).collect()
    wrong = []
    for row in got:
        reason, kind = row["doc_id"].split("|")
        expected = reason if kind == "pos" else None
        if row[reason] != expected:
            wrong.append((reason, kind, row[reason]))
    assert not wrong
    assert len(got) == 2 * len(CASES)


HAND_DOC = "The cat sat on the mat.\nThe cat sat on the mat.\n\nBuy now... #deal #sale"


@pytest.mark.parametrize("engine", ["jvm", "sql"])
def test_signals_match_hand_computed_values(spark: SparkSession, ctx: RunContext, engine: str) -> None:
    # Worked out on paper from the definitions in dq_engine.quality.signals / repetition:
    # 71 chars, 16 tokens (all words), 55 non-space chars, 3 non-blank lines, one repeated line of 23
    # chars, 2 paragraphs (none repeated), 4 x "the", 3 sentence ends ("mat.", "mat.", "now...").
    expected = {
        "word_count": 16,
        "mean_word_length": 55 / 16,
        "hash_ratio": 2 / 16,
        "ellipsis_ratio": 1 / 16,
        "bullet_line_ratio": 0.0,
        "ellipsis_line_ratio": 0.0,
        "alpha_word_ratio": 1.0,
        "stop_word_count": 4,
        "dup_line_ratio": 1 / 3,
        "dup_para_ratio": 0.0,
        "dup_line_char_ratio": 23 / 71,
        "dup_para_char_ratio": 0.0,
        "has_lorem_ipsum": False,
        "has_curly_bracket": False,
        "javascript_line_ratio": 0.0,
        "policy_line_ratio": 0.0,
        "sentence_count": 3,
        "punct_line_ratio": 2 / 3,
        "short_line_ratio": 1.0,
        "fineweb_dup_line_char_ratio": 23 / 68,
        "newline_ratio": 3 / 16,
        # "the mat." (8 chars) x 2 wins the tie among the 2-grams that occur twice
        "top_2gram_char_ratio": 16 / 71,
        "top_3gram_char_ratio": 22 / 71,  # "The cat sat" / "on the mat." (11) x 2
        "top_4gram_char_ratio": 30 / 71,  # "sat on the mat." (15) x 2
        # the second sentence's 6 words (18 chars) are covered by repeats of 5- and 6-grams only
        "dup_5gram_char_ratio": 18 / 71,
        "dup_6gram_char_ratio": 18 / 71,
        "dup_7gram_char_ratio": 0.0,
        "dup_8gram_char_ratio": 0.0,
        "dup_9gram_char_ratio": 0.0,
        "dup_10gram_char_ratio": 0.0,
    }
    stage = QualityHeuristics(QualityHeuristicsParams(engine=engine), label="qh")
    docs = spark.createDataFrame([("a", HAND_DOC)], "doc_id string, text string")
    row = stage.apply(docs, ctx).first()
    assert row is not None
    for signal, value in expected.items():
        assert row[f"qh_{signal}"] == pytest.approx(value), signal
    # under the published defaults these fire, in rule order:
    fired = [
        "gopher_short_doc", "gopher_too_many_hashes", "gopher_dup_line_ratio", "gopher_dup_line_char_ratio",
        "gopher_top_2gram", "gopher_top_3gram", "gopher_top_4gram", "gopher_dup_5gram", "gopher_dup_6gram",
        "c4_too_few_sentences", "fineweb_short_line_ratio", "fineweb_char_dup_ratio",
    ]  # fmt: skip
    assert row["qh_reason"] == fired[0]
    assert row["qh_score"] == len(fired)


def test_clean_prose_passes_every_default_rule(spark: SparkSession, ctx: RunContext) -> None:
    sentences = [
        "The committee met on Tuesday to review the budget and the plans for the new library.",
        "Members agreed that the reading rooms should stay open later during the winter months.",
        "A local architect presented two designs, and both drew questions about heating costs.",
        "Several residents asked whether the children's section would have more space than before.",
        "The chair promised a public consultation with a final decision expected in the spring.",
        "Funding will come from the city and from a grant awarded by a regional foundation.",
    ]
    docs = spark.createDataFrame([("ok", "\n".join(sentences))], "doc_id string, text string")
    row = QualityHeuristics(label="qh").apply(docs, ctx).first()
    assert row is not None and row["qh_reason"] is None and row["qh_score"] == 0.0


BAD_INPUT = {
    "empty": "",
    "null": None,
    "emoji_only": "😀🎉🔥 👍👍 🚀",
    "control_chars": "abc\x00\x01\x02 def\x1b[31m ghi\x7f\u200b",
    "mixed_scripts": "Hello мир 世界 مرحبا שלום γειά σου नमस्ते",
    "rtl": "هذا نص عربي طويل يكتب من اليمين إلى اليسار.\nשורה בעברית.",
    "one_5mb_token": "x" * 5_000_000,
    "5mb_of_words": "lorem ipsumx dolor sit amet. " * 180_000,
}


@pytest.mark.slow  # two 5 MB documents through the JVM and the Arrow UDF
def test_bad_input_gets_a_defined_outcome(spark: SparkSession, ctx: RunContext) -> None:
    docs = spark.createDataFrame(list(BAD_INPUT.items()), "doc_id string, text string")
    out = QualityHeuristics(label="qh").apply(docs, ctx)
    rows = {r["doc_id"]: r for r in out.drop("text").collect()}
    assert set(rows) == set(BAD_INPUT)
    for name in ("empty", "null", "emoji_only", "control_chars", "mixed_scripts", "rtl", "one_5mb_token"):
        assert rows[name]["qh_reason"] == "gopher_short_doc", name
    assert rows["empty"]["qh_word_count"] == rows["emoji_only"]["qh_word_count"] == 0
    assert rows["mixed_scripts"]["qh_word_count"] == 8
    assert rows["one_5mb_token"]["qh_word_count"] == 1
    big = rows["5mb_of_words"]
    assert big["qh_word_count"] == 900_000 and big["qh_reason"] == "gopher_long_doc"
    assert big["qh_top_2gram_char_ratio"] > 0.15 and big["qh_dup_10gram_char_ratio"] > 0.8


def test_registered_and_params_validated() -> None:
    stage = create_stage(StageSpec(stage="quality_heuristics", params={"gopher_min_words": 10}))
    assert isinstance(stage, QualityHeuristics)
    with pytest.raises(StageError, match="gopher_max_bullet_lines"):
        QualityHeuristics({"gopher_max_bullet_lines": 2})
    with pytest.raises(StageError, match="n-gram size"):
        QualityHeuristics({"gopher_max_top_ngram": {0: 0.1}})
    with pytest.raises(StageError, match="no_such_rule: Extra inputs"):
        QualityHeuristics({"no_such_rule": 1})
