"""Document length bounds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Filter


class LengthFilterParams(BaseModel):
    """Parameters of :class:`LengthFilter`; ``None`` disables a bound."""

    model_config = ConfigDict(extra="forbid")

    min_chars: int | None = Field(default=1, ge=0)
    max_chars: int | None = Field(default=None, ge=1)
    min_words: int | None = Field(default=None, ge=0)
    max_words: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> LengthFilterParams:
        if self.min_chars is not None and self.max_chars is not None and self.min_chars > self.max_chars:
            raise ValueError("min_chars must be <= max_chars")
        if self.min_words is not None and self.max_words is not None and self.min_words > self.max_words:
            raise ValueError("min_words must be <= max_words")
        return self


class LengthFilter(Filter):
    """Flag documents outside character/word-count bounds.

    Reads ``text``; adds ``<label>_score`` (character count), ``<label>_words`` (whitespace-separated
    word count) and ``<label>_reason``: ``too_short`` / ``too_long`` (characters) or ``too_few_words`` /
    ``too_many_words``.
    """

    name = "length_filter"
    Params = LengthFilterParams
    requires = (C.TEXT,)
    reasons = ("too_short", "too_long", "too_few_words", "too_many_words")

    @property
    def words_column(self) -> str:
        return f"{self.label}_words"

    def added_columns(self) -> tuple[str, ...]:
        return (self.words_column, *super().added_columns())

    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        words = F.size(F.split(F.trim(F.col(C.TEXT)), "\\s+"))
        return df.withColumn(self.score_column, F.length(C.TEXT).cast("double")).withColumn(
            self.words_column, F.when(F.trim(F.col(C.TEXT)) == "", F.lit(0)).otherwise(words)
        )

    def reason(self, scored: DataFrame) -> Column:
        p = self.params
        assert isinstance(p, LengthFilterParams)
        chars, words = F.col(self.score_column), F.col(self.words_column)
        rules: list[tuple[Column, str]] = []
        if p.min_chars is not None:
            rules.append((chars < p.min_chars, "too_short"))
        if p.max_chars is not None:
            rules.append((chars > p.max_chars, "too_long"))
        if p.min_words is not None:
            rules.append((words < p.min_words, "too_few_words"))
        if p.max_words is not None:
            rules.append((words > p.max_words, "too_many_words"))
        out: Column = F.lit(None).cast("string")
        for cond, reason in reversed(rules):
            out = F.when(cond, F.lit(reason)).otherwise(out)
        return out
