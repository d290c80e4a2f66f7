"""The ``toxicity`` stage: a score in [0, 1] per category, a threshold per category in config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import DoubleType

from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Filter
from dq_engine.toxicity.linear import profanity_model
from dq_engine.toxicity.pipeline_model import score_with_pipeline
from dq_engine.toxicity.wordlist import hit_count, hits_to_score, load_terms

PROFANITY = "profanity"


class ToxicityParams(BaseModel):
    """Parameters of :class:`ToxicityFilter`."""

    model_config = ConfigDict(extra="forbid")

    #: ``profanity_check``: alt-profanity-check's linear model (category ``profanity``, English);
    #: ``wordlist``: the ``wordlists`` below, matched in Spark SQL; ``spark_nlp``: a saved Spark ML /
    #: Spark NLP pipeline folder (``model_path``), see :mod:`dq_engine.toxicity.pipeline_model`.
    backend: Literal["profanity_check", "wordlist", "spark_nlp"] = "profanity_check"
    #: category -> minimum score that flags the document (``toxic_<category>``). Unset: 0.5 for every
    #: category of the backend.
    thresholds: dict[str, float] = Field(default_factory=lambda: {PROFANITY: 0.5})
    #: category -> language (ISO 639-1) -> terms, or the path of a UTF-8 file with one term per line.
    wordlists: dict[str, dict[str, list[str] | str]] = Field(default_factory=dict)
    #: Column with each document's language (the ``language`` stage's ``lang``); used when present.
    language_column: str = "lang"
    #: Language assumed for documents without one (word lists).
    default_language: str = "en"
    #: Languages the model backend is meant for: documents identified as another language get a null
    #: score (not judged) instead of an English model's guess. Empty list: score every document.
    model_languages: list[str] = Field(default_factory=lambda: ["en"])
    #: Characters of each document the model reads.
    max_chars: int = Field(default=100_000, ge=1)
    #: ``spark_nlp``: the saved ``PipelineModel`` folder (local, DBFS, S3, ...).
    model_path: str | None = None
    #: ``spark_nlp``: the pipeline's probability vector column.
    model_output: str = "probability"
    #: ``spark_nlp``: category -> index of its class in ``model_output`` (e.g. ``{offensive: 1}``).
    model_classes: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ToxicityParams:
        if self.backend == "wordlist" and not self.wordlists:
            raise ValueError("backend wordlist needs wordlists: {category: {language: [terms] or file}}")
        if self.backend == "spark_nlp" and (not self.model_path or not self.model_classes):
            raise ValueError("backend spark_nlp needs model_path and model_classes: {category: class index}")
        if any(index < 0 for index in self.model_classes.values()):
            raise ValueError("model_classes indexes must be >= 0")
        if "thresholds" not in self.model_fields_set:
            self.thresholds = {category: 0.5 for category in self.categories()}
        known = set(self.categories())
        unknown = sorted(set(self.thresholds) - known)
        if unknown:
            raise ValueError(f"thresholds for unknown categories {unknown}; this backend has {sorted(known)}")
        for category, threshold in self.thresholds.items():
            if not 0 <= threshold <= 1:
                raise ValueError(f"thresholds[{category!r}] = {threshold} outside [0, 1]")
        return self

    def categories(self) -> list[str]:
        if self.backend == "profanity_check":
            return [PROFANITY]
        return list(self.wordlists if self.backend == "wordlist" else self.model_classes)


@pandas_udf(DoubleType())  # type: ignore[call-overload]
def _profanity(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
    model = profanity_model()  # cached: one load per Python worker process
    for batch in batches:
        arr = pa.array(batch, type=pa.large_string(), from_pandas=True)
        yield pd.Series(model.predict_proba(arr))


class ToxicityFilter(Filter):
    """Score documents for toxicity per category and flag those at or above the category's threshold.

    Reads ``text`` and, when present, the language column (``lang``). Backends: ``profanity_check``
    (Arrow UDF over alt-profanity-check's linear model), ``wordlist`` (Spark SQL), ``spark_nlp`` (a
    saved pipeline run in the JVM). Adds ``<label>_<category>`` (score
    in [0, 1], null when not judged: empty text, or a language outside ``model_languages``),
    ``<label>_score`` (the highest category score) and ``<label>_reason`` (``toxic_<category>`` for the
    first category over its threshold, in ``thresholds`` order).
    """

    name = "toxicity"
    Params = ToxicityParams
    requires = (C.TEXT,)
    reasons = (f"toxic_{PROFANITY}",)

    def _p(self) -> ToxicityParams:
        p = self.params
        assert isinstance(p, ToxicityParams)
        return p

    def category_column(self, category: str) -> str:
        return f"{self.label}_{category}"

    def added_columns(self) -> tuple[str, ...]:
        return (*(self.category_column(c) for c in self._p().categories()), *super().added_columns())

    def _judged(self, df: DataFrame) -> Column:
        """True where a model should score the document: non-blank text in one of ``model_languages``."""
        p = self._p()
        judged = F.coalesce(F.length(F.trim(F.col(C.TEXT))), F.lit(0)) > 0
        if p.model_languages and p.language_column in df.columns:
            lang = F.col(p.language_column)
            judged = judged & (lang.isNull() | lang.isin(p.model_languages))
        return judged

    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        p = self._p()
        scores: dict[str, Column] = {}
        if p.backend == "profanity_check":
            score = _profanity(F.substring(F.col(C.TEXT), 1, p.max_chars))  # type: ignore[operator]
            scores[PROFANITY] = F.when(self._judged(df), score)
        elif p.backend == "spark_nlp":
            df, scores = score_with_pipeline(df, p, self._judged(df))
        else:
            lang = F.col(p.language_column) if p.language_column in df.columns else F.lit(None).cast("string")
            for category, per_lang in p.wordlists.items():
                lists = {code: load_terms(terms) for code, terms in per_lang.items()}
                scores[category] = hits_to_score(hit_count(F.col(C.TEXT), lang, lists, p.default_language))
        out = df.withColumns({self.category_column(c): s for c, s in scores.items()})
        cols = [F.col(self.category_column(c)) for c in scores]
        best = cols[0] if len(cols) == 1 else F.greatest(*cols)
        return out.withColumn(self.score_column, best).drop(
            *[c for c in out.columns if c.startswith("_tox_")]
        )

    def reason(self, scored: DataFrame) -> Column:
        out: Column = F.lit(None).cast("string")
        for category, threshold in reversed(list(self._p().thresholds.items())):
            out = F.when(
                F.col(self.category_column(category)) >= threshold, F.lit(f"toxic_{category}")
            ).otherwise(out)
        return out
