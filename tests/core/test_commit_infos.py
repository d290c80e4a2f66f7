"""Tables.commit_infos reads commits from the local commit files exactly as DeltaTable.history gives them."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

from dq_engine.config import LakehouseSettings
from dq_engine.versioning import Tables


def _from_history(tables: Tables, name: str, limit: int | None) -> list[dict[str, object]]:
    infos = tables._logged_commit_infos  # the fast path, switched off for this call
    try:
        tables._logged_commit_infos = lambda *_: None  # type: ignore[method-assign]
        return tables.commit_infos(name, limit)
    finally:
        tables._logged_commit_infos = infos  # type: ignore[method-assign]


def test_commit_files_and_history_agree(spark: SparkSession, tmp_path: Path) -> None:
    tables = Tables(spark, LakehouseSettings(root=str(tmp_path / "lh")))
    rows = spark.createDataFrame([("a", 1), ("b", 2)], "doc_id string, n int")
    tables.append(rows, "ops_dq_metrics", user_metadata={"job": "curate", "bronze_version": 3})
    tables.append(rows, "ops_dq_metrics", txn_app_id="t", txn_version=1)
    tables.append(rows.limit(1), "ops_dq_metrics", user_metadata={"note": "free text é"})
    tables.restore("ops_dq_metrics", 1, user_metadata={"job": "rewind"})
    tables.delta("ops_dq_metrics").optimize().executeCompaction()

    for limit in (None, 1, 3, 10):
        fast = tables._logged_commit_infos("ops_dq_metrics", limit)
        assert fast is not None
        assert fast == _from_history(tables, "ops_dq_metrics", limit), limit
    newest_first = [c["version"] for c in tables.commit_infos("ops_dq_metrics")]
    assert newest_first == sorted(newest_first, reverse=True) and newest_first[-1] == 0
    restore = next(c for c in tables.commit_infos("ops_dq_metrics") if c["operation"] == "RESTORE")
    assert restore["operationParameters"]["version"] == "1"
    first_append = tables.commit_infos("ops_dq_metrics")[-2]
    assert first_append["operationMetrics"]["numOutputRows"] == "2"


def test_commits_removed_by_log_cleanup_fall_back_to_history(spark: SparkSession, tmp_path: Path) -> None:
    tables = Tables(spark, LakehouseSettings(root=str(tmp_path / "lh")))
    rows = spark.createDataFrame([("a", 1)], "doc_id string, n int")
    for _ in range(12):  # Delta checkpoints at version 10
        tables.append(rows, "ops_dq_metrics")
    log_dir = Path(tables.describe("ops_dq_metrics")) / "_delta_log"
    for version in range(6):  # what log cleanup leaves: the checkpoint and the commits after it
        (log_dir / f"{version:020d}.json").unlink()
    assert tables._logged_commit_infos("ops_dq_metrics", 3) == _from_history(tables, "ops_dq_metrics", 3)
    assert tables._logged_commit_infos("ops_dq_metrics", 10) is None  # version 2 is gone
    answered = [c["version"] for c in tables.commit_infos("ops_dq_metrics", 10)]
    assert answered[:6] == [11, 10, 9, 8, 7, 6]
