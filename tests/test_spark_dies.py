"""A failure that takes Spark down with it (an out-of-memory error stops the SparkContext) is the error
the run reports: the bookkeeping that can no longer run (the ``ops.runs`` row, the table versions, the
lease release) is logged, never raised over it. Own process, because the SparkContext is stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

SCRIPT = """
import logging, sys
from dq_engine.config import load_config
from dq_engine.core import Stage, register
from dq_engine.runner import run_job
from dq_engine.spark.session import build_session

logging.basicConfig(level=logging.ERROR, stream=sys.stderr)


@register
class DiesWithTheJvm(Stage):
    name = "dies_with_the_jvm"

    def apply(self, df, ctx):
        ctx.spark.sparkContext.stop()  # what the JVM's out-of-memory handling leaves behind
        raise MemoryError("java.lang.OutOfMemoryError: Java heap space (simulated)")


repo, root, landing, pipeline = sys.argv[1:5]
config = load_config(f"{repo}/conf", overrides=[
    f"lakehouse.root={root}/lakehouse",
    f"mlflow.tracking_uri=sqlite:///{root}/mlruns.db",
    f"mlflow.artifact_location={root}/mlartifacts",
    "lakehouse.lease.heartbeat_seconds=0",
    f"ingest.sources=[{{name: t, path: {landing}, format: jsonl}}]",
    f"pipeline={pipeline}",
])
spark = build_session(master="local[1]", conf={"spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "1"}, jars_dir=f"{repo}/jars", adopt_active=False)
try:
    run_job("run", config, spark)
except BaseException as exc:
    print("raised", type(exc).__name__, exc)
else:
    print("no error")
"""


@pytest.mark.slow
def test_the_original_error_is_raised_when_the_spark_context_died(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.jsonl").write_text('{"text": "one document about memory"}\n', encoding="utf-8")
    pipeline = tmp_path / "dies.yaml"
    pipeline.write_text("name: dies\nstages:\n  - {stage: dies_with_the_jvm}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_SUBMIT", "MLFLOW_"))}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(REPO_ROOT), str(tmp_path), str(landing), str(pipeline)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert "raised MemoryError java.lang.OutOfMemoryError" in done.stdout, done.stdout + done.stderr[-4000:]
    # What could not be done after it is said, once each, and did not replace the error.
    assert "could not record the failed run in ops.runs after the failure" in done.stderr
    assert "could not read the tables' versions after the failure" in done.stderr
    assert "lease: not released after the failure" in done.stderr
