"""The publish gate on a real lakehouse: warnings publish, errors hold gold back and explain themselves,
past versions are re-audited without publishing, the metric history reaches the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, config_with_sources, lakehouse_overrides
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from dq_engine.cli import app
from dq_engine.runner import format_summary, run_job
from dq_engine.versioning import Tables

PAGES = REPO_ROOT / "data" / "sample" / "landing" / "pages"

PIPELINE = """name: gate
stages:
  - stage: normalize_text
  - stage: length_filter
    name: length
    params: {min_chars: 20, max_chars: 200000, min_words: 3}
  - stage: exact_dedup
    name: exact_dedup
"""

WARN_SUITE = """name: gate_warn
dataset: corpus
checks:
  - name: kept_something
    level: error
    constraints:
      - {type: has_size, where: kept, assertion: "> 0"}
  - name: corpus_is_huge
    level: warning
    constraints:
      - {type: has_size, where: kept, assertion: "> 1000000", hint: a toy corpus}
anomaly_checks:
  - name: batch_size_jump
    level: warning
    metric: {analyzer: size, where: kept}
    strategy: relative_rate_of_change
    max_rate_increase: 100.0
"""

STRICT_SUITE = """name: gate_strict
checks:
  - name: corpus_is_huge
    level: error
    constraints:
      - {type: has_size, assertion: "> 1000000", hint: the corpus must be huge}
"""


@pytest.mark.slow
def test_publish_gate_reaudit_and_metrics(spark: SparkSession, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    pages = sorted(PAGES.iterdir())
    for page in pages[:6]:
        shutil.copy(page, landing / page.name)
    (tmp_path / "gate.yaml").write_text(PIPELINE, encoding="utf-8")
    (tmp_path / "warn.yaml").write_text(WARN_SUITE, encoding="utf-8")
    (tmp_path / "strict.yaml").write_text(STRICT_SUITE, encoding="utf-8")
    source = f"{{name: pages, path: {landing}, format: text, text_mode: file}}"

    def config(suite: str):  # type: ignore[no-untyped-def]
        extra = (f"audit.suite={tmp_path / suite}", f"pipeline={tmp_path / 'gate.yaml'}")
        return config_with_sources(tmp_path, source, extra=extra)

    # 1. a warning publishes, and is reported with its measured and asserted values
    first = run_job("run", config("warn.yaml"), spark)
    assert first.status == "succeeded" and first.audit is not None and first.audit.published
    tables = Tables(spark, config("warn.yaml").lakehouse)
    kept = tables.read("silver_documents").count()
    assert [(w.check, w.measured) for w in first.audit.warnings] == [("corpus_is_huge", float(kept))]
    summary = format_summary(first)
    assert (
        f"[warning] corpus_is_huge: has_size() where kept > 1000000 -- measured {kept}, asserted > 1000000"
        in summary
    )
    assert "[skipped] batch_size_jump" in summary  # no history yet
    gold_version = tables.current_version("gold_documents")

    # 2. an error-level failure leaves gold untouched and says what was measured
    for page in pages[6:]:
        shutil.copy(page, landing / page.name)
    second = run_job("run", config("strict.yaml"), spark)
    assert second.status == "audit_failed" and second.exit_code == 2
    assert "NOT published" in (second.message or "")
    total = tables.read("silver_documents").count() - kept
    assert f"[error] corpus_is_huge: has_size() > 1000000 -- measured {total}, asserted > 1000000" in (
        second.message or ""
    )
    assert tables.current_version("gold_documents") == gold_version

    runner = CliRunner()
    conf = ["--conf-dir", str(REPO_ROOT / "conf")]
    for item in lakehouse_overrides(tmp_path):
        conf += ["--set", item]

    # 3. re-audit a past gold version (time travel), never publishing
    strict = runner.invoke(
        app,
        [
            "audit",
            "--table",
            "gold_documents",
            "--version",
            str(gold_version),
            "--suite",
            str(tmp_path / "strict.yaml"),
            *conf,
        ],
    )
    assert strict.exit_code == 2, strict.output
    assert f"measured {kept}, asserted > 1000000" in strict.output
    relaxed = runner.invoke(
        app,
        [
            "audit",
            "--table",
            "gold_documents",
            "--version",
            str(gold_version),
            "--suite",
            str(tmp_path / "warn.yaml"),
            *conf,
        ],
    )
    assert relaxed.exit_code == 0, relaxed.output
    assert "nothing published" in relaxed.output and "[warning] corpus_is_huge" in relaxed.output
    assert tables.current_version("gold_documents") == gold_version

    # 4. the metric history of silver_documents, one Size per audit that stored metrics
    history = runner.invoke(app, ["metrics", "--table", "silver_documents", "--name", "Size", *conf])
    assert history.exit_code == 0, history.output
    assert first.run_id in history.output and second.run_id in history.output
