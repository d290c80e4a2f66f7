"""Stage contract, registry and the decide step."""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT
from pyspark.sql import SparkSession

from dq_engine.config import PipelineSettings, StageSpec, load_config, load_pipeline
from dq_engine.core import Pipeline, PipelineError, RunContext, StageError, create_stage, registered_stages


def test_registry_has_the_builtin_stages() -> None:
    # the names users write in YAML and apply-stage: public interface
    assert {
        "normalize_text",
        "length_filter",
        "exact_dedup",
        "near_dedup",
        "pii_mask",
        "language",
        "toxicity",
        "quality_heuristics",
    } <= set(registered_stages())


def test_unknown_stage_names_the_registered_ones() -> None:
    with pytest.raises(StageError, match="unknown stage 'nope'.*exact_dedup"):
        create_stage(StageSpec(stage="nope"))


def test_missing_column_is_caught_before_running() -> None:
    pipeline = Pipeline([create_stage(StageSpec(stage="length_filter"))], name="p")
    with pytest.raises(PipelineError, match="stage 'length_filter'.*requires \\['text'\\]"):
        pipeline.check_columns(["doc_id", "body"])


def test_duplicate_labels_are_rejected() -> None:
    spec = PipelineSettings(
        name="p", stages=[StageSpec(stage="length_filter"), StageSpec(stage="length_filter")]
    )
    with pytest.raises(PipelineError, match="labels must be unique"):
        Pipeline.from_settings(spec)


def test_default_pipeline_loads() -> None:
    config = load_config(REPO_ROOT / "conf")
    pipeline = Pipeline.from_settings(load_pipeline(config))
    # Every built-in stage, so `make run` and the sample-run tests exercise each one.
    assert [s.label for s in pipeline.stages] == [
        "normalize_text",
        "length",
        "exact_dedup",
        "near_dedup",
        "language",
        "toxicity",
        "quality_heuristics",
        "pii",
    ]


def test_decide_splits_every_row_once_with_first_reason(spark: SparkSession, ctx: RunContext) -> None:
    pipeline = Pipeline.from_settings(
        PipelineSettings(
            name="p",
            stages=[
                StageSpec(stage="length_filter", name="len", params={"min_chars": 6}),
                StageSpec(stage="exact_dedup", name="dup"),
            ],
        )
    )
    df = spark.createDataFrame(
        [
            ("a", "short", "s"),
            ("b", "short", "s"),
            ("c", "long enough text", "s"),
            ("d", "long enough text", "s"),
            ("e", "unique one", "s"),
        ],
        "doc_id string, text string, source string",
    )
    decision = pipeline.decide(pipeline.annotate(df, ctx), ctx)
    kept = {r["doc_id"] for r in decision.kept.collect()}
    rejected = {r["doc_id"]: r for r in decision.rejections.collect()}
    assert kept == {"c", "e"}
    assert set(rejected) == {"a", "b", "d"}
    # "b" is both too short and a duplicate of "a": the first filter in pipeline order is recorded
    assert (rejected["b"]["stage"], rejected["b"]["reason"]) == ("len", "too_short")
    assert sorted(rejected["b"]["all_reasons"]) == ["dup:exact_duplicate", "len:too_short"]
    assert (rejected["d"]["stage"], rejected["d"]["reason"], rejected["d"]["score"]) == (
        "dup",
        "exact_duplicate",
        2.0,
    )
    assert "text" not in decision.rejections.columns
    assert not any(c.endswith("_reason") for c in decision.kept.columns)
    assert {"len_score", "dup_score", "text_hash", "curate_run_id"} <= set(decision.kept.columns)
