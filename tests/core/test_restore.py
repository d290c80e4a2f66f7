"""``dq-engine restore`` and the next run: re-curates what a restore removed, or refuses and says why.

Two batches of the sample's web source are run once (module fixture); each test works on a copy of
that lakehouse, restores something, runs again and compares every table with the reference states
after the first and the second run.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import config_with_sources
from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from test_kill_recovery import PIPELINE, _land, _snapshot, _source

from dq_engine.config import LakehouseSettings
from dq_engine.core.provenance import InconsistentLakehouseError
from dq_engine.core.rewind import RestoreRefusedError, restore_table
from dq_engine.runner import JobReport, run_job
from dq_engine.versioning.tables import Tables

Snapshot = dict[str, list[tuple[object, ...]]]
CURATED = ("silver_documents", "silver_rejections", "silver_dedup_clusters", "gold_documents")


@dataclass
class TwoRuns:
    base: Path
    landing: Path
    pipeline: Path
    first: JobReport
    second: JobReport
    after_first: Snapshot
    after_second: Snapshot


def _config(root: Path, landing: Path, pipeline: Path):  # type: ignore[no-untyped-def]
    return config_with_sources(root, _source(landing), extra=(f"pipeline={pipeline}",))


def _tables(spark: SparkSession, root: Path) -> Tables:
    return Tables(spark, LakehouseSettings(root=str(root / "lakehouse")))


@pytest.fixture(scope="module")
def two_runs(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> TwoRuns:
    base = tmp_path_factory.mktemp("restore")
    landing, pipeline = base / "landing", base / "restore.yaml"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    _land(landing, 0)
    first = run_job("run", _config(base / "second", landing, pipeline), spark)
    assert first.ok
    shutil.copytree(base / "second", base / "first")  # the lakehouse as the first run left it
    after_first = _snapshot(spark, base / "first")
    _land(landing, 1)
    second = run_job("run", _config(base / "second", landing, pipeline), spark)
    assert second.ok and second.curate is not None and second.curate.documents_in > 0
    return TwoRuns(base, landing, pipeline, first, second, after_first, _snapshot(spark, base / "second"))


def _copy(runs: TwoRuns, state: str, tmp_path: Path) -> Path:
    shutil.copytree(runs.base / state, tmp_path / state)
    return tmp_path / state


def test_restore_silver_rewinds_every_table_and_the_next_run_recurates(
    spark: SparkSession, two_runs: TwoRuns, tmp_path: Path
) -> None:
    root = _copy(two_runs, "second", tmp_path)
    tables = _tables(spark, root)
    assert two_runs.first.curate is not None
    lines = restore_table(tables, "silver_documents", two_runs.first.curate.silver_version or 0, "r1")
    assert any("re-curates bronze versions" in line for line in lines), lines

    restored = _snapshot(spark, root)
    for name in CURATED:
        assert restored[name] == two_runs.after_first[name], name
    assert restored["bronze_documents"] == two_runs.after_second["bronze_documents"]  # bronze untouched

    again = run_job("run", _config(root, two_runs.landing, two_runs.pipeline), spark)
    assert again.ok and again.curate is not None and again.audit is not None and again.audit.published
    assert two_runs.second.curate is not None
    assert again.curate.documents_in == two_runs.second.curate.documents_in  # batch 2, curated again
    assert _snapshot(spark, root) == two_runs.after_second
    # The re-curate appended under the new epoch's idempotency key (the old key would be skipped).
    curate_meta = [
        r["userMetadata"] for r in tables.history("silver_documents").collect() if r["job"] == "curate"
    ]
    assert '"epoch": 1' in curate_meta[0]


def test_a_restore_made_outside_the_engine_is_refused_then_repaired(
    spark: SparkSession, two_runs: TwoRuns, tmp_path: Path
) -> None:
    root = _copy(two_runs, "second", tmp_path)
    tables = _tables(spark, root)
    assert two_runs.first.curate is not None
    silver = str(tables.location("silver_documents").path)
    DeltaTable.forPath(spark, silver).restoreToVersion(two_runs.first.curate.silver_version or 0)
    config = _config(root, two_runs.landing, two_runs.pipeline)

    with pytest.raises(InconsistentLakehouseError, match="restored outside dq-engine") as refused:
        run_job("run", config, spark)
    command = re.search(r"`dq-engine restore silver_documents --version (\d+)`", str(refused.value))
    assert command, refused.value
    assert _snapshot(spark, root)["silver_documents"] == two_runs.after_first["silver_documents"]

    restore_table(tables, "silver_documents", int(command.group(1)), "repair")
    assert run_job("run", config, spark).ok
    assert _snapshot(spark, root) == two_runs.after_second


def test_restoring_gold_unpublishes_and_the_next_run_does_not_publish_again(
    spark: SparkSession, two_runs: TwoRuns, tmp_path: Path
) -> None:
    root = _copy(two_runs, "second", tmp_path)
    tables = _tables(spark, root)
    assert two_runs.first.audit is not None and two_runs.first.audit.gold_version is not None
    restore_table(tables, "gold_documents", two_runs.first.audit.gold_version, "unpublish")
    assert _snapshot(spark, root)["gold_documents"] == two_runs.after_first["gold_documents"]

    again = run_job("run", _config(root, two_runs.landing, two_runs.pipeline), spark)
    assert again.ok and again.audit is not None and not again.audit.published
    after = _snapshot(spark, root)
    assert after["gold_documents"] == two_runs.after_first["gold_documents"]
    assert after["silver_documents"] == two_runs.after_second["silver_documents"]


def test_refuses_bronze_and_a_restore_that_leaves_gold_behind_silver(
    spark: SparkSession, two_runs: TwoRuns, tmp_path: Path
) -> None:
    root = _copy(two_runs, "first", tmp_path)
    tables = _tables(spark, root)
    with pytest.raises(RestoreRefusedError, match="bronze is the record of what landed"):
        restore_table(tables, "bronze_documents", 0, "nope")
    with pytest.raises(RestoreRefusedError, match="engine's own bookkeeping"):
        restore_table(tables, "ops_runs", 0, "nope")

    # Batch 2 curated but never published: silver holds more than gold.
    config = _config(root, two_runs.landing, two_runs.pipeline)
    assert run_job("ingest", config, spark).ok and run_job("curate", config, spark).ok
    current = tables.current_version("silver_documents")
    assert two_runs.first.curate is not None
    with pytest.raises(RestoreRefusedError, match=r"never published.*version (\d+) or earlier") as refused:
        restore_table(tables, "silver_documents", current or 0, "nope")
    assert f"version {two_runs.first.curate.silver_version} or earlier" in str(refused.value)
    assert tables.current_version("silver_documents") == current  # refused before writing anything
