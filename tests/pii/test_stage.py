"""The pii_mask stage: strategies, counts, hashed findings, density drop, skipping, side table."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from dq_engine.config.models import PipelineSettings, StageSpec
from dq_engine.core.context import RunContext
from dq_engine.core.pipeline import Pipeline
from dq_engine.core.registry import registered_stages
from dq_engine.core.stage import StageError
from dq_engine.pii import PiiMask

SALT_ENV = "DQ_ENGINE_PII_TEST_SALT"
DOCS = [
    ("a", "Write to ann@example.org or call +1 212 555 0147. Card 4111 1111 1111 1111."),
    ("b", "Same person: ann@example.org again, and bob@example.net."),
    ("c", "Nothing personal here, just a long enough sentence about the weather and the harbour."),
    ("d", "a@x.io b@x.io c@x.io d@x.io"),
    ("e", "flagged upstream: carl@example.com"),
]


def test_registered_under_its_public_name() -> None:
    assert registered_stages()["pii_mask"] is PiiMask


def test_bad_params_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StageError, match="unknown PII type"):
        PiiMask({"types": ["EMAIL", "SHOE_SIZE"]})
    monkeypatch.delenv(SALT_ENV, raising=False)
    with pytest.raises(StageError, match=SALT_ENV):
        PiiMask({"strategy": "hash", "salt_env": SALT_ENV})
    with pytest.raises(StageError, match="invalid params"):
        PiiMask({"strategy": "rot13"})


@pytest.fixture(scope="module")
def decided(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from conftest import REPO_ROOT

    from dq_engine.config import LakehouseSettings, load_config
    from dq_engine.versioning import Tables

    mp = pytest.MonkeyPatch()
    mp.setenv(SALT_ENV, "test-salt-1")
    config = load_config(REPO_ROOT / "conf")
    root = tmp_path_factory.mktemp("pii_stage")
    ctx = RunContext(spark=spark, config=config, tables=Tables(spark, LakehouseSettings(root=str(root))))
    df = spark.createDataFrame(DOCS, "doc_id string, text string")
    settings = PipelineSettings(
        name="t",
        stages=[
            # flags only "e" (3 words): pii_mask must pass it through unscanned
            StageSpec(stage="length_filter", name="len", params={"min_chars": 1, "min_words": 4}),
            StageSpec(
                stage="pii_mask",
                name="pii",
                params={
                    "strategy": "placeholder",
                    "strategies": {"EMAIL": "hash", "CREDIT_CARD": "partial"},
                    "salt_env": SALT_ENV,
                    "max_density": 50,
                    "min_findings_to_drop": 3,
                    "residual_check": False,  # covered by the labelled-set test; halves this plan
                },
            ),
        ],
    )
    pipeline = Pipeline.from_settings(settings)
    stage = pipeline.stages[1]
    decision = pipeline.decide(pipeline.annotate(df, ctx), ctx)
    rows = {r["doc_id"]: r for r in decision.annotated.collect()}
    side = stage.outputs(decision.annotated, ctx)
    findings = side["silver_pii_findings"].collect()
    mp.undo()
    return rows, findings, ctx.run_id


def test_masks_with_per_type_strategies(decided) -> None:  # type: ignore[no-untyped-def]
    rows, _, _ = decided
    a, b = rows["a"]["text"], rows["b"]["text"]
    assert "ann@example.org" not in a and "4111 1111 1111 1111" not in a and "555 0147" not in a
    assert "**** **** **** 1111" in a and "<PHONE>" in a
    token = a.split("Write to ")[1].split(" ")[0]
    assert token.startswith("<EMAIL_") and len(token) == len("<EMAIL_>") + 10
    # consistent pseudonym across documents, distinct per value
    assert token in b and b.count("<EMAIL_") == 2 and "bob@example.net" not in b
    assert rows["c"]["text"] == DOCS[2][1]


def test_counts_score_and_residual(decided) -> None:  # type: ignore[no-untyped-def]
    rows, _, _ = decided
    assert dict(rows["a"]["pii_counts"]) == {"EMAIL": 1, "PHONE": 1, "CREDIT_CARD": 1}
    assert rows["a"]["pii_total"] == 3 and rows["c"]["pii_total"] == 0
    assert dict(rows["c"]["pii_counts"]) == {}
    assert all(r["pii_residual"] is None for r in rows.values())  # residual_check off
    assert rows["d"]["pii_score"] == pytest.approx(4 * 1000 / len(DOCS[3][1]))


def test_density_drop_and_upstream_skip(decided) -> None:  # type: ignore[no-untyped-def]
    rows, _, _ = decided
    assert rows["d"]["pii_reason"] == "pii_density"
    assert rows["a"]["pii_reason"] is None  # 3 findings but under 50 per 1k chars
    # already flagged by an earlier filter: passed through unscanned
    assert rows["e"]["text"] == DOCS[4][1] and rows["e"]["pii_total"] == 0


def test_findings_side_table_has_hashes_never_values(decided) -> None:  # type: ignore[no-untyped-def]
    rows, findings, run_id = decided
    assert {(f["doc_id"], f["type"]) for f in findings} >= {
        ("a", "EMAIL"),
        ("a", "CREDIT_CARD"),
        ("b", "EMAIL"),
    }
    assert len(findings) == sum(r["pii_total"] for r in rows.values())
    by_doc = {(f["doc_id"], f["start"]): f for f in findings}
    ann_a = by_doc[("a", DOCS[0][1].index("ann@"))]
    ann_b = by_doc[("b", DOCS[1][1].index("ann@"))]
    assert ann_a["end"] - ann_a["start"] == len("ann@example.org")
    assert ann_a["value_hash"] == ann_b["value_hash"] and len(ann_a["value_hash"]) == 64
    assert all(f["run_id"] == run_id and f["stage"] == "pii" for f in findings)
    assert {f["kept"] for f in findings if f["doc_id"] == "d"} == {False}
    blob = repr(findings)
    for value in ("ann@example.org", "bob@example.net", "4111", "555 0147", "a@x.io"):
        assert value not in blob
