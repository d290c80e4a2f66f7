"""Pipeline runner: checks stage wiring, applies stages, and the one decide step that drops."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from dq_engine.config.models import PipelineSettings
from dq_engine.core import columns as C
from dq_engine.core.context import RunContext
from dq_engine.core.registry import create_stage
from dq_engine.core.stage import Filter, Stage, StageError


class PipelineError(StageError):
    """The pipeline cannot run: a stage needs a column nothing before it provides."""


@dataclass
class Decision:
    """The decide step's outputs; all three are lazy DataFrames over the same annotated batch."""

    kept: DataFrame
    rejections: DataFrame
    annotated: DataFrame


class Pipeline:
    """An ordered list of stages, checked for column wiring before anything runs."""

    def __init__(self, stages: list[Stage], name: str = "pipeline"):
        labels = [s.label for s in stages]
        dupes = sorted({label for label in labels if labels.count(label) > 1})
        if dupes:
            raise PipelineError(
                f"pipeline {name!r}: stage labels must be unique, repeated: {dupes} (set `name:`)"
            )
        self.stages = stages
        self.name = name
        self._persisted: list[DataFrame] = []

    @classmethod
    def from_settings(cls, settings: PipelineSettings) -> Pipeline:
        return cls([create_stage(spec) for spec in settings.stages], name=settings.name)

    @property
    def filters(self) -> list[Filter]:
        return [s for s in self.stages if isinstance(s, Filter)]

    def check_columns(self, available: Iterable[str]) -> None:
        """Raise :class:`PipelineError` naming the first stage whose required columns are missing."""
        have = set(available)
        for stage in self.stages:
            missing = [c for c in stage.requires if c not in have]
            if missing:
                raise PipelineError(
                    f"pipeline {self.name!r}: stage {stage.label!r} ({stage.name}) requires {missing}, "
                    f"available: {sorted(have)}"
                )
            have.update(stage.added_columns())

    def annotate(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        """Apply every stage in order; no row is dropped.

        The input of a stage that reads it twice (:attr:`Stage.reads_input_twice`: exact and near dedup
        join an aggregate back to the rows) is persisted, so the stages upstream (regex passes, Python
        UDFs) and the read run once per document, not once per use. The frames are
        persisted ``MEMORY_AND_DISK`` (blocks beyond the executors' storage memory go to local disk) and
        released by :meth:`cleanup`.
        """
        self.check_columns(df.columns)
        upstream: list[str] = []
        for stage in self.stages:
            if stage.reads_input_twice:
                df = df.persist(StorageLevel.MEMORY_AND_DISK)
                self._persisted.append(df)
            stage.upstream_reason_columns = tuple(upstream)
            df = stage.apply(df, ctx)
            if isinstance(stage, Filter):
                upstream.append(stage.reason_column)
        return df

    def cleanup(self, ctx: RunContext) -> None:
        """Release what :meth:`annotate` persisted and every stage's scratch state (:meth:`Stage.cleanup`);
        called once everything computed from the annotated batch has been written."""
        while self._persisted:
            self._persisted.pop().unpersist()
        for stage in self.stages:
            stage.cleanup(ctx)

    def decide(self, annotated: DataFrame, ctx: RunContext) -> Decision:
        """Split annotated rows into kept documents and one rejection row per dropped document.

        The rejection names the first filter (pipeline order) that flagged the document, its reason and
        score; ``all_reasons`` lists every ``stage:reason`` that fired. Rejection rows never carry text.
        """
        filters = self.filters
        stage_col = F.lit(None).cast("string")
        reason_col = F.lit(None).cast("string")
        score_col = F.lit(None).cast("double")
        for f in reversed(filters):
            fired = F.col(f.reason_column).isNotNull()
            stage_col = F.when(fired, F.lit(f.label)).otherwise(stage_col)
            reason_col = F.when(fired, F.col(f.reason_column)).otherwise(reason_col)
            score_col = F.when(fired, F.col(f.score_column).cast("double")).otherwise(score_col)
        every = F.filter(
            F.array(
                *[
                    F.when(
                        F.col(f.reason_column).isNotNull(),
                        F.concat_ws(":", F.lit(f.label), F.col(f.reason_column)),
                    )
                    for f in filters
                ]
            )
            if filters
            else F.array().cast("array<string>"),
            lambda x: x.isNotNull(),
        )
        decided = (
            annotated.withColumn(C.DECISION_STAGE, stage_col)
            .withColumn(C.DECISION_REASON, reason_col)
            .withColumn(C.DECISION_SCORE, score_col)
            .withColumn(C.DECISION_ALL, every)
        )
        work_cols = [C.DECISION_STAGE, C.DECISION_REASON, C.DECISION_SCORE, C.DECISION_ALL]
        reason_cols = [f.reason_column for f in filters]
        kept = (
            decided.where(F.col(C.DECISION_REASON).isNull())
            .drop(*work_cols, *reason_cols)
            .withColumns({C.CURATE_RUN_ID: F.lit(ctx.run_id), C.CURATED_AT: F.current_timestamp()})
        )
        rejections = decided.where(F.col(C.DECISION_REASON).isNotNull()).select(
            C.DOC_ID,
            F.col(C.DECISION_STAGE).alias("stage"),
            F.col(C.DECISION_REASON).alias("reason"),
            F.col(C.DECISION_SCORE).alias("score"),
            F.col(C.DECISION_ALL).alias("all_reasons"),
            (F.col(C.SOURCE) if C.SOURCE in decided.columns else F.lit(None).cast("string")).alias(C.SOURCE),
            F.lit(ctx.run_id).alias("run_id"),
            F.current_timestamp().alias("rejected_at"),
        )
        return Decision(kept=kept, rejections=rejections, annotated=decided)
