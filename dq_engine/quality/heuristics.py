"""The ``quality_heuristics`` stage: Gopher quality and repetition, C4 and FineWeb rules.

Every rule is a named reason with its own threshold in :class:`QualityHeuristicsParams`; setting a
threshold to ``null`` (or a switch to ``false``) turns the rule off. Every signal is kept as a column,
so thresholds can be tuned later from silver without recomputing anything.

References: Rae et al. 2021 (Gopher, table A1), Raffel et al. 2020 (C4), Penedo et al. 2024 (FineWeb);
defaults are the published thresholds. Definitions of words, lines and paragraphs are in
:mod:`dq_engine.quality.signals`; the n-gram signals in :mod:`dq_engine.quality.repetition`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.core import java_udfs
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Filter
from dq_engine.quality import jvm
from dq_engine.quality import signals as S
from dq_engine.quality.repetition import dup_field, ngram_signals_column, top_field

_Frac = Field(default=None, ge=0, le=1)


class QualityHeuristicsParams(BaseModel):
    """Thresholds of :class:`QualityHeuristics`; ``None`` (YAML ``null``) turns a rule off."""

    model_config = ConfigDict(extra="forbid")

    #: ``jvm``: every signal from one Java pass per document (``conf/jars/udfs``); ``sql``: the reference
    #: Spark SQL expressions + the Arrow n-gram UDF; ``auto``: ``jvm`` when its jar is on the classpath.
    #: Both give the same values.
    engine: java_udfs.Engine = "auto"
    # Gopher quality
    gopher_min_words: int | None = Field(default=50, ge=0)
    gopher_max_words: int | None = Field(default=100_000, ge=1)
    gopher_min_mean_word_length: float | None = Field(default=3.0, ge=0)
    gopher_max_mean_word_length: float | None = Field(default=10.0, ge=0)
    gopher_max_hash_ratio: float | None = Field(default=0.1, ge=0)
    gopher_max_ellipsis_ratio: float | None = Field(default=0.1, ge=0)
    gopher_max_bullet_lines: float | None = Field(default=0.9, ge=0, le=1)
    gopher_max_ellipsis_lines: float | None = Field(default=0.3, ge=0, le=1)
    gopher_min_alpha_words: float | None = Field(default=0.8, ge=0, le=1)
    gopher_min_stop_words: int | None = Field(default=2, ge=0)
    stop_words: list[str] = Field(default_factory=lambda: list(S.GOPHER_STOP_WORDS))
    # Gopher repetition
    gopher_max_dup_lines: float | None = Field(default=0.3, ge=0, le=1)
    gopher_max_dup_paragraphs: float | None = Field(default=0.3, ge=0, le=1)
    gopher_max_dup_line_chars: float | None = Field(default=0.2, ge=0, le=1)
    gopher_max_dup_paragraph_chars: float | None = Field(default=0.2, ge=0, le=1)
    #: n -> max fraction of characters in the most frequent word n-gram
    gopher_max_top_ngram: dict[int, float] = Field(default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})
    #: n -> max fraction of characters in repeated word n-grams
    gopher_max_dup_ngram: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}
    )
    # C4 (the line-removing rules become document rules: the share of such lines)
    c4_lorem_ipsum: bool = True
    c4_curly_bracket: bool = True
    c4_max_javascript_lines: float | None = Field(default=0.2, ge=0, le=1)
    c4_max_policy_lines: float | None = Field(default=0.2, ge=0, le=1)
    c4_min_sentences: int | None = Field(default=5, ge=0)
    # FineWeb
    fineweb_min_punct_lines: float | None = Field(default=0.12, ge=0, le=1)
    fineweb_max_short_lines: float | None = Field(default=0.67, ge=0, le=1)
    fineweb_short_line_length: int = Field(default=30, ge=1)
    fineweb_max_dup_line_chars: float | None = Field(default=0.01, ge=0, le=1)
    fineweb_max_newline_ratio: float | None = Field(default=0.3, ge=0)

    @field_validator("gopher_max_top_ngram", "gopher_max_dup_ngram")
    @classmethod
    def _ngram_sizes(cls, v: dict[int, float]) -> dict[int, float]:
        for n, frac in v.items():
            if not 1 <= n <= 20:
                raise ValueError(f"n-gram size {n} outside 1..20")
            if not 0 <= frac <= 1:
                raise ValueError(f"n-gram threshold {frac} outside [0, 1]")
        return dict(sorted(v.items()))


@dataclass(frozen=True)
class Rule:
    """One rule: the reason it writes, the signal it reads, the param holding its threshold."""

    reason: str
    signal: str
    param: str
    op: str  # "<" flags below the threshold, ">" above, "flag" a boolean signal that is true


def _rules(p: QualityHeuristicsParams) -> list[Rule]:
    rules = [
        Rule("gopher_short_doc", "word_count", "gopher_min_words", "<"),
        Rule("gopher_long_doc", "word_count", "gopher_max_words", ">"),
        Rule("gopher_below_avg_word_length", "mean_word_length", "gopher_min_mean_word_length", "<"),
        Rule("gopher_above_avg_word_length", "mean_word_length", "gopher_max_mean_word_length", ">"),
        Rule("gopher_too_many_hashes", "hash_ratio", "gopher_max_hash_ratio", ">"),
        Rule("gopher_too_many_ellipsis", "ellipsis_ratio", "gopher_max_ellipsis_ratio", ">"),
        Rule("gopher_too_many_bullets", "bullet_line_ratio", "gopher_max_bullet_lines", ">"),
        Rule("gopher_too_many_end_ellipsis", "ellipsis_line_ratio", "gopher_max_ellipsis_lines", ">"),
        Rule("gopher_below_alpha_threshold", "alpha_word_ratio", "gopher_min_alpha_words", "<"),
        Rule("gopher_few_stop_words", "stop_word_count", "gopher_min_stop_words", "<"),
        Rule("gopher_dup_line_ratio", "dup_line_ratio", "gopher_max_dup_lines", ">"),
        Rule("gopher_dup_para_ratio", "dup_para_ratio", "gopher_max_dup_paragraphs", ">"),
        Rule("gopher_dup_line_char_ratio", "dup_line_char_ratio", "gopher_max_dup_line_chars", ">"),
        Rule("gopher_dup_para_char_ratio", "dup_para_char_ratio", "gopher_max_dup_paragraph_chars", ">"),
    ]
    rules += [
        Rule(f"gopher_top_{n}gram", top_field(n), f"gopher_max_top_ngram.{n}", ">")
        for n in p.gopher_max_top_ngram
    ]
    rules += [
        Rule(f"gopher_dup_{n}gram", dup_field(n), f"gopher_max_dup_ngram.{n}", ">")
        for n in p.gopher_max_dup_ngram
    ]
    rules += [
        Rule("c4_lorem_ipsum", "has_lorem_ipsum", "c4_lorem_ipsum", "flag"),
        Rule("c4_curly_bracket", "has_curly_bracket", "c4_curly_bracket", "flag"),
        Rule("c4_javascript", "javascript_line_ratio", "c4_max_javascript_lines", ">"),
        Rule("c4_policy", "policy_line_ratio", "c4_max_policy_lines", ">"),
        Rule("c4_too_few_sentences", "sentence_count", "c4_min_sentences", "<"),
        Rule("fineweb_line_punct_ratio", "punct_line_ratio", "fineweb_min_punct_lines", "<"),
        Rule("fineweb_short_line_ratio", "short_line_ratio", "fineweb_max_short_lines", ">"),
        Rule("fineweb_char_dup_ratio", "fineweb_dup_line_char_ratio", "fineweb_max_dup_line_chars", ">="),
        Rule("fineweb_list_ratio", "newline_ratio", "fineweb_max_newline_ratio", ">"),
    ]
    return rules


def _threshold(p: QualityHeuristicsParams, param: str) -> float | bool | None:
    if "." in param:
        name, n = param.split(".")
        return getattr(p, name).get(int(n))  # type: ignore[no-any-return]
    return getattr(p, param)  # type: ignore[no-any-return]


#: Every signal column suffix, in the order the stage adds them.
SIGNALS: tuple[str, ...] = (
    "word_count",
    "mean_word_length",
    "hash_ratio",
    "ellipsis_ratio",
    "bullet_line_ratio",
    "ellipsis_line_ratio",
    "alpha_word_ratio",
    "stop_word_count",
    "dup_line_ratio",
    "dup_para_ratio",
    "dup_line_char_ratio",
    "dup_para_char_ratio",
    "has_lorem_ipsum",
    "has_curly_bracket",
    "javascript_line_ratio",
    "policy_line_ratio",
    "sentence_count",
    "punct_line_ratio",
    "short_line_ratio",
    "fineweb_dup_line_char_ratio",
    "newline_ratio",
)


class QualityHeuristics(Filter):
    """Flag documents that fail published web-text quality heuristics.

    Reads ``text``. Adds one ``<label>_<signal>`` column per signal (see :data:`SIGNALS`, plus
    ``<label>_top_<n>gram_char_ratio`` / ``<label>_dup_<n>gram_char_ratio`` for each configured n),
    ``<label>_score`` (how many enabled rules fired) and ``<label>_reason`` (the first rule that fired,
    in the order Gopher quality, Gopher repetition, C4, FineWeb; null = keep).
    """

    name = "quality_heuristics"
    Params = QualityHeuristicsParams
    requires = (C.TEXT,)
    reasons = tuple(r.reason for r in _rules(QualityHeuristicsParams()))

    def _p(self) -> QualityHeuristicsParams:
        p = self.params
        assert isinstance(p, QualityHeuristicsParams)
        return p

    def signal_column(self, signal: str) -> str:
        return f"{self.label}_{signal}"

    def signal_names(self) -> tuple[str, ...]:
        p = self._p()
        return (
            *SIGNALS,
            *(top_field(n) for n in p.gopher_max_top_ngram),
            *(dup_field(n) for n in p.gopher_max_dup_ngram),
        )

    def added_columns(self) -> tuple[str, ...]:
        return (*(self.signal_column(s) for s in self.signal_names()), *super().added_columns())

    def _sql_signals(self, text: Column, lines: Column) -> dict[str, Column]:
        p = self._p()
        col = F.col
        words, tokens = col("_qh_words"), col("_qh_tokens")
        line_arr, paras = col("_qh_line_arr"), col("_qh_paras")
        n_lines = F.size(line_arr)
        return {
            "word_count": words,
            "mean_word_length": S.ratio(S.non_space_chars(text), tokens),
            "hash_ratio": S.ratio(S.hash_count(text), words),
            "ellipsis_ratio": S.ratio(S.ellipsis_count(text), words),
            "bullet_line_ratio": S.ratio(S.bullet_line_count(lines), n_lines),
            "ellipsis_line_ratio": S.ratio(S.ellipsis_line_count(lines), n_lines),
            "alpha_word_ratio": S.ratio(S.alpha_word_count(text), words),
            "stop_word_count": S.stop_word_count(text, p.stop_words),
            "dup_line_ratio": S.ratio(S.duplicate_count(line_arr), n_lines),
            "dup_para_ratio": S.ratio(S.duplicate_count(paras), F.size(paras)),
            "dup_line_char_ratio": S.ratio(S.duplicate_chars(line_arr), F.length(text)),
            "dup_para_char_ratio": S.ratio(S.duplicate_chars(paras), F.length(text)),
            "has_lorem_ipsum": S.contains_ci(text, "lorem ipsum"),
            "has_curly_bracket": F.instr(text, "{") > 0,
            "javascript_line_ratio": S.ratio(S.lines_containing(lines, ["javascript"]), n_lines),
            "policy_line_ratio": S.ratio(S.lines_containing(lines, S.POLICY_PHRASES), n_lines),
            "sentence_count": S.sentence_count(text),
            "punct_line_ratio": S.ratio(S.terminal_punct_line_count(lines), n_lines),
            "short_line_ratio": S.ratio(S.short_line_count(lines, p.fineweb_short_line_length), n_lines),
            "fineweb_dup_line_char_ratio": S.ratio(
                S.duplicate_chars(line_arr), F.length(F.replace(text, F.lit("\n"), F.lit("")))
            ),
            "newline_ratio": S.ratio(S.count_sub(text, "\n"), words),
        }

    def _use_jvm(self, df: DataFrame) -> bool:
        return java_udfs.use_jvm(self._p().engine, df.sparkSession, jvm.JVM_CLASS, self.label)

    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        out = self._score_jvm(df) if self._use_jvm(df) else self._score_sql(df)
        fired = [self._fired(r) for r in self._active_rules()]
        count = sum((F.when(f, 1).otherwise(0) for f in fired), F.lit(0))
        return out.withColumn(self.score_column, count.cast("double"))

    def _score_jvm(self, df: DataFrame) -> DataFrame:
        p = self._p()
        signals = jvm.signals_column(
            df.sparkSession,
            F.col(C.TEXT),
            base_signals=SIGNALS,
            stop_words=p.stop_words,
            short_line_length=p.fineweb_short_line_length,
            top_ns=list(p.gopher_max_top_ngram),
            dup_ns=list(p.gopher_max_dup_ngram),
        )
        # one UDF call per row: the fields are read from a materialised struct column
        out = df.withColumn("_qh_signals", signals)
        out = out.withColumns({self.signal_column(s): F.col(f"_qh_signals.{s}") for s in self.signal_names()})
        return out.drop("_qh_signals")

    def _score_sql(self, df: DataFrame) -> DataFrame:
        p = self._p()
        text = S.nonblank(F.col(C.TEXT))
        helpers = {
            "_qh_text": text,
            "_qh_lines": S.normalized_lines(text),
        }
        work = df.withColumns(helpers)
        t, lines = F.col("_qh_text"), F.col("_qh_lines")
        work = work.withColumns(
            {
                "_qh_words": S.word_count(t),
                "_qh_tokens": S.token_count(t),
                "_qh_line_arr": S.line_array(lines),
                "_qh_paras": S.paragraph_array(t),
            }
        )
        out = work.withColumns({self.signal_column(k): v for k, v in self._sql_signals(t, lines).items()})
        top_ns, dup_ns = list(p.gopher_max_top_ngram), list(p.gopher_max_dup_ngram)
        if top_ns or dup_ns:
            grams = ngram_signals_column(t, top_ns, dup_ns)
            out = out.withColumn("_qh_ngrams", grams).withColumns(
                {
                    self.signal_column(f): F.col(f"_qh_ngrams.{f}")
                    for f in [*(top_field(n) for n in top_ns), *(dup_field(n) for n in dup_ns)]
                }
            )
        return out.drop(*[c for c in out.columns if c.startswith("_qh_")])

    def _active_rules(self) -> list[Rule]:
        p = self._p()
        return [r for r in _rules(p) if _threshold(p, r.param) not in (None, False)]

    def _fired(self, rule: Rule) -> Column:
        value = F.col(self.signal_column(rule.signal))
        if rule.op == "flag":
            return value
        threshold = _threshold(self._p(), rule.param)
        if rule.op == "<":
            return value < F.lit(threshold)
        if rule.op == ">=":
            return value >= F.lit(threshold)
        return value > F.lit(threshold)

    def reason(self, scored: DataFrame) -> Column:
        out: Column = F.lit(None).cast("string")
        for rule in reversed(self._active_rules()):
            out = F.when(self._fired(rule), F.lit(rule.reason)).otherwise(out)
        return out
