"""The ``pii_mask`` stage: detect structured PII (and names, with an NER backend), mask it in place."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from dq_engine.core import columns as C
from dq_engine.core import java_udfs
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Filter, StageError
from dq_engine.pii import jvm
from dq_engine.pii.detectors import DETECTORS, TYPES, find_pii, select_detectors
from dq_engine.pii.findings import findings_rows, public_findings, type_counts
from dq_engine.pii.maskers import (
    DEFAULT_SALT_ENV,
    MissingSaltError,
    apply_masks,
    findings_key,
    pseudonym_key,
)
from dq_engine.pii.ner import NerBackend, NerParams, create_backend

PII_FINDINGS = "pii_spans"  # not "pii_findings": the corpus audit frame uses that name for a count
PII_COUNTS = "pii_counts"
PII_TOTAL = "pii_total"
PII_RESIDUAL = "pii_residual"

StrategyName = Literal["placeholder", "hash", "partial"]


class PiiMaskParams(BaseModel):
    """Parameters of :class:`PiiMask`."""

    model_config = ConfigDict(extra="forbid")

    #: structured type codes to detect and mask; null = all
    types: list[str] | None = None
    #: default masking strategy
    strategy: StrategyName = "placeholder"
    #: per-type strategy overrides, e.g. {CREDIT_CARD: partial, EMAIL: hash}
    strategies: dict[str, StrategyName] = {}
    #: environment variable holding the salt for `hash` pseudonyms and finding hashes
    salt_env: str = DEFAULT_SALT_ENV
    #: drop a document whose findings per 1,000 characters exceed this (null = never drop)
    max_density: float | None = None
    #: ... but only when it has at least this many findings (a short note with one e-mail stays)
    min_findings_to_drop: int = 3
    #: re-scan the masked text with the structured detectors and record what is left in `pii_residual`
    residual_check: bool = True
    #: documents an earlier filter already flags are passed through unscanned (they are dropped anyway)
    skip_flagged: bool = True
    #: optional NER backend for person names
    ner: NerParams | None = None
    #: ``jvm``: the structured detectors in one Java call per document (``io.dqengine.pii.PiiScanner``
    #: from ``make jars``); ``sql``: the reference Spark SQL expressions; ``auto``: ``jvm`` when its jar
    #: is on the classpath. Both find the same spans.
    engine: java_udfs.Engine = "auto"


class PiiMask(Filter):
    """Mask PII in ``text`` and record what was found.

    Reads ``doc_id``, ``text`` (and upstream filters' reason columns). Rewrites ``text`` with every
    finding replaced per strategy, and adds ``pii_spans``
    (``array<struct<type, start, end, detector, value_hash>>``, offsets into the text as received),
    ``pii_counts`` (``map<type, count>``), ``pii_total``, ``pii_residual`` (structured findings left in
    the masked text; null when ``residual_check`` is off), ``<label>_score`` (findings per 1,000
    characters) and ``<label>_reason`` (``pii_density`` when over ``max_density``).
    ``outputs()`` emits the findings as ``silver_pii_findings`` rows; no raw value leaves the stage.
    """

    name = "pii_mask"
    Params = PiiMaskParams
    requires = (C.DOC_ID, C.TEXT)
    adds = (PII_FINDINGS, PII_COUNTS, PII_TOTAL, PII_RESIDUAL)
    reasons = ("pii_density",)

    def __init__(self, params: BaseModel | dict | None = None, label: str | None = None):  # type: ignore[type-arg]
        super().__init__(params, label)
        p = self.p
        known = set(TYPES) | ({p.ner.type} if p.ner else set())
        unknown = sorted(set(p.types or ()) - set(TYPES)) + sorted(set(p.strategies) - known)
        if unknown:
            raise StageError(
                f"stage {self.label!r}: unknown PII type(s) {unknown}; known: {', '.join(TYPES)}"
            )
        self.detectors = select_detectors(p.types)
        self.pseudonym_key: str | None = None
        if "hash" in (p.strategy, *p.strategies.values()):
            try:
                self.pseudonym_key = pseudonym_key(p.salt_env)
            except MissingSaltError as exc:
                raise StageError(f"stage {self.label!r}: {exc}") from None
        self.ner: NerBackend | None = create_backend(p.ner) if p.ner else None

    @property
    def p(self) -> PiiMaskParams:
        assert isinstance(self.params, PiiMaskParams)
        return self.params

    def _skip(self, df: DataFrame) -> Column:
        flags = [F.col(c).isNotNull() for c in self.upstream_reason_columns if c in df.columns]
        if not (self.p.skip_flagged and flags):
            return F.lit(False)
        out = flags[0]
        for f in flags[1:]:
            out = out | f
        return out

    def score(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        p = self.p
        original = df.columns
        use_jvm = java_udfs.use_jvm(p.engine, df.sparkSession, jvm.JVM_CLASS, self.label)
        engine: Literal["sql", "jvm"] = "jvm" if use_jvm else "sql"
        work = df.withColumn("_pii_scan", F.when(self._skip(df), F.lit(None)).otherwise(F.col(C.TEXT)))
        extra: list[str] = []
        if self.ner is not None:
            work = self.ner.annotate(work, "_pii_scan", "_pii_ner")
            extra.append("_pii_ner")
        work = find_pii(work, "_pii_scan", "_pii_found", self.detectors, extra=extra, engine=engine)
        found = F.col("_pii_found")
        chars = F.greatest(F.length(F.col(C.TEXT)), F.lit(1))
        work = work.withColumns(
            {
                C.TEXT: apply_masks(F.col(C.TEXT), found, p.strategies, p.strategy, self.pseudonym_key),
                PII_FINDINGS: public_findings(found, findings_key(p.salt_env)),
                PII_COUNTS: type_counts(found),
                PII_TOTAL: F.size(found),
                self.score_column: (F.size(found) * 1000.0 / chars).cast("double"),
            }
        )
        if p.residual_check:
            work = find_pii(work, C.TEXT, "_pii_left", self.detectors, engine=engine).withColumn(
                PII_RESIDUAL, F.size(F.col("_pii_left"))
            )
        else:
            work = work.withColumn(PII_RESIDUAL, F.lit(None).cast("int"))
        keep = [c for c in original if c not in (PII_FINDINGS, PII_COUNTS, PII_TOTAL, PII_RESIDUAL)]
        return work.select(*keep, PII_FINDINGS, PII_COUNTS, PII_TOTAL, PII_RESIDUAL, self.score_column)

    def reason(self, scored: DataFrame) -> Column:
        p = self.p
        if p.max_density is None:
            return F.lit(None).cast("string")
        over = (F.col(self.score_column) > p.max_density) & (F.col(PII_TOTAL) >= p.min_findings_to_drop)
        return F.when(over, F.lit("pii_density"))

    def output_metrics(self, table: str, rows: DataFrame) -> dict[str, float]:
        """Findings of this run per type (``pii.<label>.findings.<TYPE>``) and in kept documents
        (``pii.<label>.kept_findings.<TYPE>``), from this stage's ``silver_pii_findings`` rows: one small
        aggregate, counts only."""
        if table != "silver_pii_findings":
            return {}
        counts = (
            rows.where(F.col("stage") == self.label)
            .groupBy("type")
            .agg(F.count(F.lit(1)).alias("n"), F.count(F.when(F.col("kept"), 1)).alias("kept"))
            .collect()
        )
        out: dict[str, float] = {f"pii.{self.label}.findings": float(sum(r["n"] for r in counts))}
        for r in counts:
            out[f"pii.{self.label}.findings.{r['type']}"] = float(r["n"])
            out[f"pii.{self.label}.kept_findings.{r['type']}"] = float(r["kept"])
        return out

    def outputs(self, decided: DataFrame, ctx: RunContext) -> dict[str, DataFrame]:
        """``silver_pii_findings``: one row per finding (doc_id, type, start, end, detector, value_hash,
        stage, kept, run_id)."""
        return {"silver_pii_findings": findings_rows(decided, PII_FINDINGS, self.label, ctx.run_id)}


__all__ = ["DETECTORS", "PiiMask", "PiiMaskParams"]
