"""Kill tests: ``dq-engine run`` SIGKILLed between two commits, rerun, and compared with a clean run.

Each killed run is a real subprocess (Python driver and its JVM in one process group) stopped with
SIGKILL at a named pause point (:mod:`dq_engine.core.faults`): the process writes a marker file when it
reaches the point, the harness sees the marker and kills the group. No sleeps decide where a kill lands.

The sequence walks the phases where a crash used to corrupt or could corrupt the tables: inside an
ingest micro-batch before its bronze append, between the bronze and quarantine appends, after the
``silver.documents`` append, after ``silver.rejections``, after every silver table but before the
``ops.runs`` watermark (then a new batch is ingested: the case that doubled silver), after the audit's
results, after the gold append. The final tables must equal those of uninterrupted runs on the same
two batches: same ids in bronze, quarantine, silver, rejections and gold, and no id twice.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, config_with_sources, lakehouse_overrides
from pyspark.sql import SparkSession

from dq_engine.config import LakehouseSettings
from dq_engine.runner import run_job
from dq_engine.versioning import Tables

WEB = REPO_ROOT / "data" / "sample" / "landing" / "web"
BATCHES = (["web-000.jsonl.gz"], ["web-001.jsonl"])
PIPELINE = """\
name: killtest
stages:
  - {stage: normalize_text}
  - {stage: length_filter, name: length, params: {min_chars: 20, min_words: 3}}
  - {stage: exact_dedup, params: {lowercase: true, against_curated: true}}
  - {stage: near_dedup, params: {threshold: 0.8, against_curated: true}}
"""
RUN_TIMEOUT_S = 600


def _source(landing: Path) -> str:
    return f"{{name: web, path: {landing}, format: jsonl, text_field: text, id_field: id}}"


def _land(landing: Path, batch: int) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    for name in BATCHES[batch]:
        shutil.copy(WEB / name, landing / name)


def _overrides(root: Path, landing: Path, pipeline: Path) -> list[str]:
    return [
        *lakehouse_overrides(root),
        f"ingest.sources=[{_source(landing)}]",
        f"pipeline={pipeline}",
        "spark.conf={spark.sql.shuffle.partitions: 2, spark.default.parallelism: 2, spark.driver.memory: 1g}",
    ]


def cli_env() -> dict[str, str]:
    """This environment minus pause points and MLflow/PySpark settings a ``dq-engine`` child must not see."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("DQ_ENGINE_PAUSE", "MLFLOW_", "PYSPARK_"))
    }


def cli_run_command(root: Path, landing: Path, pipeline: Path, *extra: str) -> list[str]:
    """``dq-engine run`` over this test's lakehouse, landing folder and pipeline."""
    cmd = [str(Path(sys.executable).parent / "dq-engine"), "run", "--conf-dir", str(REPO_ROOT / "conf")]
    for item in (*_overrides(root, landing, pipeline), *extra):
        cmd += ["--set", item]
    return cmd


def _run_cli(root: Path, landing: Path, pipeline: Path, pause_at: str | None) -> int | None:
    """``dq-engine run``; with ``pause_at``, SIGKILL it there and return None."""
    env = cli_env()
    marker = root / "paused.marker"
    marker.unlink(missing_ok=True)
    if pause_at:
        env.update(DQ_ENGINE_PAUSE_AT=pause_at, DQ_ENGINE_PAUSE_MARKER=str(marker))
    cmd = cli_run_command(root, landing, pipeline)
    log = (root / f"run-{pause_at or 'final'}.log").open("w")
    # Own process group: the kill takes the Python driver and its JVM together, like a lost machine.
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + RUN_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if pause_at and marker.exists():
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
                assert marker.read_text().startswith(pause_at)
                return None
            if proc.poll() is not None:
                assert not pause_at, (
                    f"run ended ({proc.returncode}) before reaching {pause_at}: see {log.name}"
                )
                return proc.returncode
            time.sleep(0.2)
        raise TimeoutError(f"dq-engine run did not reach {pause_at or 'its end'}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)


def _snapshot(spark: SparkSession, root: Path) -> dict[str, list[tuple[object, ...]]]:
    tables = Tables(spark, LakehouseSettings(root=str(root / "lakehouse")))
    picks = {
        "bronze_documents": ["doc_id"],
        "bronze_quarantine": ["source", "reason"],
        "silver_documents": ["doc_id"],
        "silver_rejections": ["doc_id", "stage", "reason"],
        "silver_dedup_clusters": ["doc_id", "kept_doc_id"],
        "gold_documents": ["doc_id"],
    }
    return {
        name: sorted(tuple(r) for r in tables.read(name).select(*cols).collect())
        for name, cols in picks.items()
    }


@pytest.mark.slow
def test_sigkill_at_every_curate_and_publish_phase_then_rerun_equals_a_clean_run(
    spark: SparkSession, tmp_path: Path
) -> None:
    pipeline = tmp_path / "killtest.yaml"
    pipeline.write_text(PIPELINE, encoding="utf-8")

    # Reference: two uninterrupted runs, one per batch, in this process.
    ref_root, ref_landing = tmp_path / "ref", tmp_path / "ref-landing"
    for batch in range(2):
        _land(ref_landing, batch)
        config = config_with_sources(ref_root, _source(ref_landing), extra=(f"pipeline={pipeline}",))
        assert run_job("run", config, spark).exit_code == 0
    expected = _snapshot(spark, ref_root)
    assert expected["silver_rejections"] and expected["gold_documents"]

    root, landing = tmp_path / "killed", tmp_path / "killed-landing"
    root.mkdir()
    _land(landing, 0)
    assert _run_cli(root, landing, pipeline, "ingest.before_bronze") is None
    assert _run_cli(root, landing, pipeline, "ingest.between_bronze_and_quarantine") is None
    assert _run_cli(root, landing, pipeline, "curate.after_silver_documents") is None
    assert _run_cli(root, landing, pipeline, "curate.after_silver_rejections") is None
    assert _run_cli(root, landing, pipeline, "curate.before_watermark") is None
    _land(landing, 1)  # the new batch arrives while the watermark still points before batch 1
    assert _run_cli(root, landing, pipeline, "audit.after_results") is None
    assert _run_cli(root, landing, pipeline, "publish.before_watermark") is None
    assert _run_cli(root, landing, pipeline, None) == 0
    final_log = (root / "run-final.log").read_text()
    assert "FAILED" not in final_log.split("tables (version")[0], final_log[-3000:]

    got = _snapshot(spark, root)
    for name, rows in got.items():
        assert rows == expected[name], name
    for name in ("bronze_documents", "silver_documents", "gold_documents"):
        assert len(set(got[name])) == len(got[name]), f"duplicate ids in {name}"
    assert len({r[0] for r in got["silver_rejections"]}) == len(got["silver_rejections"])
