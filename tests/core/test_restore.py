"""``dq-engine restore`` and the next run: re-curates what a restore removed, or refuses and says why.

Two batches of the sample's web source are run once per test session (``two_web_runs``, shared with
the kill test); each test works on a copy of that lakehouse, restores something, runs again and
compares every table with the reference states after the first and the second run.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from web_batches import Snapshot, TwoWebRuns, snapshot

from dq_engine.config import LakehouseSettings
from dq_engine.core.provenance import InconsistentLakehouseError
from dq_engine.core.rewind import RestoreRefusedError, restore_table
from dq_engine.runner import run_job
from dq_engine.versioning.tables import Tables

CURATED = ("silver_documents", "silver_rejections", "silver_dedup_clusters", "gold_documents")


@pytest.fixture(scope="module")
def after(spark: SparkSession, two_web_runs: TwoWebRuns) -> dict[str, Snapshot]:
    """The reference states: every table's ids after the first and after the second run."""
    return {state: snapshot(spark, two_web_runs.base / state) for state in ("first", "second")}


def _tables(spark: SparkSession, root: Path) -> Tables:
    return Tables(spark, LakehouseSettings(root=str(root / "lakehouse")))


def _copy(runs: TwoWebRuns, state: str, tmp_path: Path) -> Path:
    shutil.copytree(runs.base / state, tmp_path / state)
    return tmp_path / state


def test_restore_silver_rewinds_every_table_and_the_next_run_recurates(
    spark: SparkSession, two_web_runs: TwoWebRuns, after: dict[str, Snapshot], tmp_path: Path
) -> None:
    root = _copy(two_web_runs, "second", tmp_path)
    tables = _tables(spark, root)
    lines = restore_table(tables, "silver_documents", two_web_runs.first_silver_version, "r1")
    assert any("re-curates bronze versions" in line for line in lines), lines

    restored = snapshot(spark, root)
    for name in CURATED:
        assert restored[name] == after["first"][name], name
    assert restored["bronze_documents"] == after["second"]["bronze_documents"]  # bronze untouched

    again = run_job("run", two_web_runs.config(root), spark)
    assert again.ok and again.curate is not None and again.audit is not None and again.audit.published
    assert again.curate.documents_in == two_web_runs.second_documents_in  # batch 2, curated again
    assert snapshot(spark, root) == after["second"]
    # The re-curate appended under the new epoch's idempotency key (the old key would be skipped).
    curate_meta = [
        r["userMetadata"] for r in tables.history("silver_documents").collect() if r["job"] == "curate"
    ]
    assert '"epoch": 1' in curate_meta[0]


def test_a_restore_made_outside_the_engine_is_refused_then_repaired(
    spark: SparkSession, two_web_runs: TwoWebRuns, after: dict[str, Snapshot], tmp_path: Path
) -> None:
    root = _copy(two_web_runs, "second", tmp_path)
    tables = _tables(spark, root)
    silver = str(tables.location("silver_documents").path)
    DeltaTable.forPath(spark, silver).restoreToVersion(two_web_runs.first_silver_version)
    config = two_web_runs.config(root)

    with pytest.raises(InconsistentLakehouseError, match="restored outside dq-engine") as refused:
        run_job("run", config, spark)
    command = re.search(r"`dq-engine restore silver_documents --version (\d+)`", str(refused.value))
    assert command, refused.value
    assert snapshot(spark, root)["silver_documents"] == after["first"]["silver_documents"]

    restore_table(tables, "silver_documents", int(command.group(1)), "repair")
    assert run_job("run", config, spark).ok
    assert snapshot(spark, root) == after["second"]


def test_restoring_gold_unpublishes_and_the_next_run_does_not_publish_again(
    spark: SparkSession, two_web_runs: TwoWebRuns, after: dict[str, Snapshot], tmp_path: Path
) -> None:
    root = _copy(two_web_runs, "second", tmp_path)
    tables = _tables(spark, root)
    restore_table(tables, "gold_documents", two_web_runs.first_gold_version, "unpublish")
    assert snapshot(spark, root)["gold_documents"] == after["first"]["gold_documents"]

    again = run_job("run", two_web_runs.config(root), spark)
    assert again.ok and again.audit is not None and not again.audit.published
    now = snapshot(spark, root)
    assert now["gold_documents"] == after["first"]["gold_documents"]
    assert now["silver_documents"] == after["second"]["silver_documents"]


def test_refuses_bronze_and_a_restore_that_leaves_gold_behind_silver(
    spark: SparkSession, two_web_runs: TwoWebRuns, tmp_path: Path
) -> None:
    root = _copy(two_web_runs, "first", tmp_path)
    tables = _tables(spark, root)
    with pytest.raises(RestoreRefusedError, match="bronze is the record of what landed"):
        restore_table(tables, "bronze_documents", 0, "nope")
    with pytest.raises(RestoreRefusedError, match="engine's own bookkeeping"):
        restore_table(tables, "ops_runs", 0, "nope")

    # Batch 2 curated but never published: silver holds more than gold.
    config = two_web_runs.config(root)
    assert run_job("ingest", config, spark).ok and run_job("curate", config, spark).ok
    current = tables.current_version("silver_documents")
    with pytest.raises(RestoreRefusedError, match=r"never published.*version (\d+) or earlier") as refused:
        restore_table(tables, "silver_documents", current or 0, "nope")
    assert f"version {two_web_runs.first_silver_version} or earlier" in str(refused.value)
    assert tables.current_version("silver_documents") == current  # refused before writing anything
