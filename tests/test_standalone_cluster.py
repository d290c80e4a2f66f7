"""The curate job on a real Spark standalone cluster: one master and two workers on localhost.

The cluster is started from the pyspark install (``spark-class`` with the Master and Worker classes),
the job is submitted with ``spark-submit --master spark://...`` and the ``make package`` artifacts
(``--py-files dq_engine_pyfiles.zip``, ``--conf-path dq_engine_conf.zip``, ``--jars`` from
``jars.txt``), and its output is compared with the same curate run in local mode. A second submit has
one worker's JVM killed (SIGKILL, by pid) once that worker's executor is running tasks: the job must
still finish with the same output. Every process started here is stopped in a ``finally``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest
from conftest import REPO_ROOT, config_with_sources
from pyspark.sql import SparkSession

from dq_engine.config import LakehouseSettings
from dq_engine.packaging import build
from dq_engine.runner import run_job
from dq_engine.spark.session import DELTA_CONF
from dq_engine.versioning import Tables

SPARK_HOME = Path(pyspark.__file__).resolve().parent
# One source (89 documents with exact and near duplicates) keeps three curate runs affordable.
SOURCES = ("{name: web, path: data/sample/landing/web, format: jsonl, text_field: text, id_field: id}",)
# The shuffle-heavy part of the default pipeline (near_dedup: signatures, candidate joins, connected
# components with checkpoints). The model stages only add per-executor model loads to the run time.
PIPELINE = """\
name: cluster
stages:
  - {stage: normalize_text}
  - {stage: length_filter, name: length, params: {min_chars: 20, min_words: 3}}
  - {stage: exact_dedup, params: {lowercase: true, against_curated: true}}
  - {stage: near_dedup, params: {threshold: 0.8, against_curated: true}}
"""
START_TIMEOUT_S = 120
JOB_TIMEOUT_S = 900


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_SUBMIT", "MLFLOW_"))}
    env.update(
        SPARK_HOME=str(SPARK_HOME),
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
        SPARK_LOCAL_IP="127.0.0.1",
    )
    return env


def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@dataclass
class Cluster:
    url: str
    workers: list[subprocess.Popen[bytes]]
    work_dirs: list[Path]

    def executor_logs(self, worker: int) -> list[Path]:
        return list(self.work_dirs[worker].glob("app-*/*/stderr"))


@contextmanager
def standalone_cluster(root: Path, workers: int = 2) -> Iterator[Cluster]:
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    logs = root / "cluster-logs"
    logs.mkdir(parents=True)
    procs: list[subprocess.Popen[bytes]] = []
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    try:
        master_log = (logs / "master.log").open("wb")
        procs.append(
            subprocess.Popen(
                [spark_class, "org.apache.spark.deploy.master.Master",
                 "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(_free_port())],
                stdout=master_log, stderr=subprocess.STDOUT, env=_env(),
            )
        )  # fmt: skip
        _wait_for(lambda: "I have been elected leader" in (logs / "master.log").read_text(), START_TIMEOUT_S,
                  "the master")  # fmt: skip
        work_dirs = []
        for i in range(workers):
            work = root / f"worker-{i}"
            work.mkdir()
            work_dirs.append(work)
            log = (logs / f"worker-{i}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [spark_class, "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                     "--cores", "1", "--memory", "1500m", "--work-dir", str(work),
                     "--webui-port", str(_free_port())],
                    stdout=log, stderr=subprocess.STDOUT, env=_env(),
                )
            )  # fmt: skip
        for i in range(workers):
            _wait_for(
                lambda i=i: "Successfully registered with master" in (logs / f"worker-{i}.log").read_text(),
                START_TIMEOUT_S,
                f"worker {i}",
            )
        yield Cluster(url=url, workers=procs[1:], work_dirs=work_dirs)
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _submit_cmd(cluster: Cluster, dist: Path, lakehouse_root: Path, pipeline: Path) -> list[str]:
    jars = (dist / "jars.txt").read_text().strip()
    overrides = ";".join(
        [
            f"pipeline={pipeline}",
            f"lakehouse.root={lakehouse_root / 'lakehouse'}",
            f"mlflow.tracking_uri=sqlite:///{lakehouse_root / 'mlruns.db'}",
            f"mlflow.artifact_location={lakehouse_root / 'mlartifacts'}",
            "spark.conf={spark.sql.shuffle.partitions: 4, spark.default.parallelism: 4}",
        ]
    )
    return [
        str(SPARK_HOME / "bin" / "spark-submit"),
        "--master", cluster.url,
        "--deploy-mode", "client",
        "--driver-memory", "1500m",
        "--executor-memory", "1g",
        "--total-executor-cores", "2",
        "--jars", jars,
        "--py-files", str(dist / "dq_engine_pyfiles.zip"),
        *[arg for key, value in DELTA_CONF.items() for arg in ("--conf", f"{key}={value}")],
        "--conf", "spark.ui.enabled=false",
        "--conf", f"spark.sql.warehouse.dir={lakehouse_root / 'spark-warehouse'}",
        # Lose an executor, not the job: failed tasks and lost shuffle output are recomputed elsewhere.
        "--conf", "spark.task.maxFailures=8",
        "--conf", "spark.stage.maxConsecutiveAttempts=8",
        str(REPO_ROOT / "jobs" / "curate.py"),
        "--conf-path", str(dist / "dq_engine_conf.zip"),
        "--set", overrides,
    ]  # fmt: skip


def _outcome(spark: SparkSession, root: Path) -> tuple[list[str], list[tuple[str, str, str]]]:
    tables = Tables(spark, LakehouseSettings(root=str(root / "lakehouse")))
    silver = sorted(r.doc_id for r in tables.read("silver_documents").select("doc_id").collect())
    rejected = sorted(
        (r.doc_id, r.stage, r.reason)
        for r in tables.read("silver_rejections").select("doc_id", "stage", "reason").collect()
    )
    return silver, rejected


@pytest.mark.slow
def test_curate_on_a_standalone_cluster_matches_local_mode_and_survives_a_lost_worker(
    spark: SparkSession, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    build(dist)
    pipeline = tmp_path / "cluster.yaml"
    pipeline.write_text(PIPELINE, encoding="utf-8")

    # One ingest, copied three times: local-mode reference, cluster run, cluster run with a worker killed.
    base = tmp_path / "base"
    ingested = run_job("ingest", config_with_sources(base, *SOURCES), spark)
    assert ingested.exit_code == 0
    roots = {name: tmp_path / name for name in ("local", "cluster", "killed")}
    for root in roots.values():
        shutil.copytree(base / "lakehouse", root / "lakehouse")

    local_config = config_with_sources(roots["local"], *SOURCES, extra=(f"pipeline={pipeline}",))
    local = run_job("curate", local_config, spark)
    assert local.exit_code == 0 and local.curate is not None and local.curate.documents_in > 0
    expected = _outcome(spark, roots["local"])
    assert expected[0] and expected[1], "the reference run must keep and reject something"

    with standalone_cluster(tmp_path / "cluster-a") as cluster:
        done = subprocess.run(
            _submit_cmd(cluster, dist, roots["cluster"], pipeline),
            cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=JOB_TIMEOUT_S,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr[-5000:]
        # Both workers ran executors of this application.
        assert all(cluster.executor_logs(i) for i in range(2))
    assert _outcome(spark, roots["cluster"]) == expected

    with standalone_cluster(tmp_path / "cluster-b") as cluster:
        out = (tmp_path / "killed-submit.log").open("w")
        submit = subprocess.Popen(
            _submit_cmd(cluster, dist, roots["killed"], pipeline),
            cwd=tmp_path,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            victim = cluster.workers[1]

            def victim_is_running_tasks() -> bool:
                return any(
                    "Running task" in log.read_text(errors="replace") for log in cluster.executor_logs(1)
                )

            _wait_for(victim_is_running_tasks, JOB_TIMEOUT_S, "tasks on worker 1")
            assert submit.poll() is None, "the job finished before the worker could be killed"
            os.kill(victim.pid, signal.SIGKILL)  # the worker JVM; its executor exits when it loses the worker
            victim.wait(timeout=30)
            assert submit.wait(timeout=JOB_TIMEOUT_S) == 0, (tmp_path / "killed-submit.log").read_text()[
                -5000:
            ]
        finally:
            _stop(submit)  # type: ignore[arg-type]
    log = (tmp_path / "killed-submit.log").read_text()
    assert "curate (cluster)" in log
    assert _outcome(spark, roots["killed"]) == expected
