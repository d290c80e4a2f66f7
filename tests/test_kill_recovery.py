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
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, lakehouse_overrides
from pyspark.sql import SparkSession
from web_batches import RECOVERY_PIPELINE, TwoWebRuns, land, snapshot, source_spec

RUN_TIMEOUT_S = 600


def _overrides(root: Path, landing: Path, pipeline: Path) -> list[str]:
    return [
        *lakehouse_overrides(root),
        f"ingest.sources=[{source_spec(landing)}]",
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


@pytest.mark.slow
def test_sigkill_at_every_curate_and_publish_phase_then_rerun_equals_a_clean_run(
    spark: SparkSession, two_web_runs: TwoWebRuns, tmp_path: Path
) -> None:
    pipeline = tmp_path / "killtest.yaml"
    pipeline.write_text(RECOVERY_PIPELINE, encoding="utf-8")

    # Reference: two uninterrupted runs, one per batch, in-process (shared with the restore tests).
    expected = snapshot(spark, two_web_runs.base / "second")
    assert expected["silver_rejections"] and expected["gold_documents"]

    root, landing = tmp_path / "killed", tmp_path / "killed-landing"
    root.mkdir()
    land(landing, 0)
    assert _run_cli(root, landing, pipeline, "ingest.before_bronze") is None
    assert _run_cli(root, landing, pipeline, "ingest.between_bronze_and_quarantine") is None
    assert _run_cli(root, landing, pipeline, "curate.after_silver_documents") is None
    assert _run_cli(root, landing, pipeline, "curate.after_silver_rejections") is None
    assert _run_cli(root, landing, pipeline, "curate.before_watermark") is None
    land(landing, 1)  # the new batch arrives while the watermark still points before batch 1
    assert _run_cli(root, landing, pipeline, "audit.after_results") is None
    assert _run_cli(root, landing, pipeline, "publish.before_watermark") is None
    assert _run_cli(root, landing, pipeline, None) == 0
    final_log = (root / "run-final.log").read_text()
    assert "FAILED" not in final_log.split("tables (version")[0], final_log[-3000:]

    got = snapshot(spark, root)
    for name, rows in got.items():
        assert rows == expected[name], name
    for name in ("bronze_documents", "silver_documents", "gold_documents"):
        assert len(set(got[name])) == len(got[name]), f"duplicate ids in {name}"
    assert len({r[0] for r in got["silver_rejections"]}) == len(got["silver_rejections"])
