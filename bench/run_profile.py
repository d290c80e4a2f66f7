"""Where one small ``dq-engine run`` spends its time: per-function seconds (cProfile) of a warm run.

Runs the sample's first web batch once to warm the session, lands the second batch, and profiles the
second ``run`` in-process with the recovery pipeline the kill and restore tests use (normalize,
length, exact and near dedup; MLflow off). Prints the run's wall time and the ``dq_engine`` functions
by cumulative seconds: the per-run overhead that dominates small runs and the test suite.

    .venv/bin/python bench/run_profile.py [--top 40]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WEB = REPO_ROOT / "data" / "sample" / "landing" / "web"
BATCHES = (["web-000.jsonl.gz"], ["web-001.jsonl"])
PIPELINE = """\
name: profile
stages:
  - {stage: normalize_text}
  - {stage: length_filter, name: length, params: {min_chars: 20, min_words: 3}}
  - {stage: exact_dedup, params: {lowercase: true, against_curated: true}}
  - {stage: near_dedup, params: {threshold: 0.8, against_curated: true}}
"""
CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.driver.memory": "2g",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=40, help="functions to print")
    args = parser.parse_args(argv)

    from dq_engine.config import load_config
    from dq_engine.runner import run_job
    from dq_engine.spark.session import build_session

    spark = build_session(
        app_name="run-profile", master="local[2]", conf=CONF, jars_dir=str(REPO_ROOT / "jars")
    )
    base = Path(tempfile.mkdtemp(prefix="dq-run-profile-"))
    landing, pipeline = base / "landing", base / "profile.yaml"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    source = f"{{name: web, path: {landing}, format: jsonl, text_field: text, id_field: id}}"
    overrides = [
        f"lakehouse.root={base / 'lakehouse'}",
        f"ingest.sources=[{source}]",
        f"pipeline={pipeline}",
        "mlflow.enabled=false",
    ]
    config = load_config(REPO_ROOT / "conf", overrides=overrides)
    try:
        for batch, name in enumerate(f for files in BATCHES for f in files):
            landing.mkdir(exist_ok=True)
            shutil.copy(WEB / name, landing / name)
            profiler = cProfile.Profile() if batch == 1 else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            report = run_job("run", config, spark)
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - started
            print(f"run {batch + 1} ({name}): {seconds:.1f} s, status {report.status}")
            if profiler:
                pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(
                    r"dq_engine", args.top
                )
    finally:
        spark.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
