"""The stage contract.

A :class:`Stage` is a registry name, a pydantic ``Params`` model, the columns it ``requires`` and
``adds``, and ``apply(df, ctx) -> DataFrame``. A :class:`Filter` is a stage that never drops rows: it
adds a score column and a reason column (null = keep); the pipeline's decide step turns reasons into
``silver.rejections`` rows. That split keeps scores inspectable and thresholds in config.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pyspark.sql import Column, DataFrame

from dq_engine.core import columns as C
from dq_engine.core.context import RunContext


class NoParams(BaseModel):
    """A stage without parameters."""

    model_config = ConfigDict(extra="forbid")


class StageError(ValueError):
    """A stage was configured or wired wrongly (bad params, missing input columns)."""


class Stage(ABC):
    """One step of a curate pipeline.

    Subclasses set ``name`` (the registry/YAML name), ``Params``, ``requires`` and ``adds``.
    """

    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]] = NoParams
    requires: ClassVar[tuple[str, ...]] = (C.DOC_ID, C.TEXT)
    adds: ClassVar[tuple[str, ...]] = ()
    #: Reason columns of the filters that run before this stage; set by the pipeline before ``apply`` so a
    #: stage can leave documents that are already being dropped out of its work (e.g. dedup keepers).
    upstream_reason_columns: tuple[str, ...] = ()
    #: The stage uses its input twice (an aggregate over the batch joined back to its rows). Spark does
    #: not share the work under the two uses, so everything upstream would run twice; the pipeline
    #: persists such a stage's input once instead (:meth:`~dq_engine.core.pipeline.Pipeline.annotate`).
    reads_input_twice: ClassVar[bool] = False

    def __init__(self, params: BaseModel | Mapping[str, Any] | None = None, label: str | None = None):
        if isinstance(params, BaseModel):
            self.params = params
        else:
            try:
                self.params = self.Params.model_validate(dict(params or {}))
            except ValidationError as exc:
                details = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or '<params>'}: {e['msg']}" for e in exc.errors()
                )
                raise StageError(f"stage {self.name!r}: invalid params: {details}") from None
        self.label = label or self.name
        #: seconds per internal step of the last ``apply`` that ran jobs of its own (e.g. near_dedup's
        #: signatures, candidates, components); reported as MLflow metrics by the curate job
        self.timings: dict[str, float] = {}

    def added_columns(self) -> tuple[str, ...]:
        """Columns this configured stage adds (may depend on params)."""
        return self.adds

    @abstractmethod
    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        """Return ``df`` with this stage's columns added or transformed. Never drops rows."""

    def outputs(self, decided: DataFrame, ctx: RunContext) -> dict[str, DataFrame]:
        """Side tables this stage contributes after the decide step, keyed by logical table name.

        ``decided`` is the annotated batch with the decide step's columns (``_decision_reason`` null =
        kept). The curate job appends each frame to its table in the same run, idempotently per bronze
        version. Default: none.
        """
        return {}

    def output_metrics(self, table: str, rows: DataFrame) -> dict[str, float]:
        """Aggregates of the rows this stage contributed to side table ``table`` (``rows`` may hold
        other stages' rows too), logged as MLflow metrics of the curate run. Aggregates only, never
        values. Default: none."""
        return {}

    def cleanup(self, ctx: RunContext) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release run-scoped scratch state (checkpoints) once the curate job has written everything."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r}, params={self.params!r})"


class Filter(Stage):
    """A stage that scores documents and flags the ones to drop; the decide step drops them.

    Subclasses implement :meth:`score` (adds ``<label>_score`` and any helper columns) and
    :meth:`reason` (a string Column, null when the document is kept).
    """

    reasons: ClassVar[tuple[str, ...]] = ()

    @property
    def score_column(self) -> str:
        return C.score_column(self.label)

    @property
    def reason_column(self) -> str:
        return C.reason_column(self.label)

    def added_columns(self) -> tuple[str, ...]:
        return (*self.adds, self.score_column, self.reason_column)

    @abstractmethod
    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        """Add the score column (and helper columns) to ``df``."""

    @abstractmethod
    def reason(self, scored: DataFrame) -> Column:
        """The rejection reason for each row of ``scored``; null keeps the row."""

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        scored = self.score(df, ctx)
        return scored.withColumn(self.reason_column, self.reason(scored))
