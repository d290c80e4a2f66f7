"""Two batches of the sample's web source and the lakehouse two uninterrupted runs make of them.

The kill test (its reference) and the restore tests (their starting point) need the same two runs.
:func:`two_web_runs` makes them once per test session, whichever pytest-xdist worker asks first; the
others wait on a file lock and then find them finished. A test copies the lakehouse it wants to change.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO_ROOT, config_with_sources
from pyspark.sql import SparkSession

from dq_engine.config import LakehouseSettings
from dq_engine.runner import run_job
from dq_engine.versioning import Tables

WEB = REPO_ROOT / "data" / "sample" / "landing" / "web"
BATCHES = (["web-000.jsonl.gz"], ["web-001.jsonl"])
RECOVERY_PIPELINE = """\
name: killtest
stages:
  - {stage: normalize_text}
  - {stage: length_filter, name: length, params: {min_chars: 20, min_words: 3}}
  - {stage: exact_dedup, params: {lowercase: true, against_curated: true}}
  - {stage: near_dedup, params: {threshold: 0.8, against_curated: true}}
"""

Snapshot = dict[str, list[tuple[object, ...]]]


def source_spec(landing: Path) -> str:
    return f"{{name: web, path: {landing}, format: jsonl, text_field: text, id_field: id}}"


def land(landing: Path, batch: int) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    for name in BATCHES[batch]:
        shutil.copy(WEB / name, landing / name)


def snapshot(spark: SparkSession, root: Path) -> Snapshot:
    """The ids (and reasons) in every table a run writes, sorted: what two lakehouses must agree on."""
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


@dataclass(frozen=True)
class TwoWebRuns:
    """``base/first`` and ``base/second``: the roots (lakehouse + MLflow store) after run 1 and run 2.

    Read-only: copy a root before running anything on it. ``landing`` holds both batches.
    """

    base: Path
    landing: Path
    pipeline: Path
    first_silver_version: int
    first_gold_version: int
    second_documents_in: int

    def config(self, root: Path):  # type: ignore[no-untyped-def]
        """The recovery pipeline over ``landing``, with tables under ``root``."""
        return config_with_sources(root, source_spec(self.landing), extra=(f"pipeline={self.pipeline}",))


def _shared_dir(basetemp: Path) -> Path:
    # pytest-xdist gives each worker basetemp/../popen-gwN; their parent is this session's alone.
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp


def two_web_runs(spark: SparkSession, basetemp: Path) -> TwoWebRuns:
    """Run batch 1, then batch 2, through ``dq-engine run`` in this process: once per test session."""
    base = _shared_dir(basetemp) / "two_web_runs"
    base.mkdir(exist_ok=True)
    facts_file = base / "facts.json"
    with (base / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not facts_file.exists():
            landing, pipeline = base / "landing", base / "recovery.yaml"
            pipeline.write_text(RECOVERY_PIPELINE, encoding="utf-8")
            runs = TwoWebRuns(base, landing, pipeline, 0, 0, 0)
            land(landing, 0)
            first = run_job("run", runs.config(base / "second"), spark)
            assert first.ok and first.curate is not None and first.audit is not None
            shutil.copytree(base / "second", base / "first")  # the lakehouse as the first run left it
            land(landing, 1)
            second = run_job("run", runs.config(base / "second"), spark)
            assert second.ok and second.curate is not None and second.curate.documents_in > 0
            facts = {
                "first_silver_version": first.curate.silver_version,
                "first_gold_version": first.audit.gold_version,
                "second_documents_in": second.curate.documents_in,
            }
            facts_file.write_text(json.dumps(facts), encoding="utf-8")
    facts = json.loads(facts_file.read_text(encoding="utf-8"))
    return TwoWebRuns(base, base / "landing", base / "recovery.yaml", **facts)
