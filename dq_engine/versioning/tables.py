"""Delta table locations and the write/read/time-travel helpers every job uses.

Tables are addressed by a logical name (``bronze_documents``); config maps each to a storage path
(default ``<lakehouse.root>/<layer>/<table>``) or to a metastore / Unity Catalog name.

Writes are appends made idempotent with Delta's ``txnAppId``/``txnVersion`` options: replaying the same
(app id, version) is skipped by Delta itself, so a retried micro-batch or a rerun of the same batch
never appends twice. Incremental reads use the change data feed, so a job reads only what was
appended since its watermark instead of anti-joining whole tables.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from dq_engine.config.models import LakehouseSettings, TableLocation
from dq_engine.spark.jobs import described

_log = logging.getLogger(__name__)

# False once Delta's internal DeltaLog API did not answer as expected (see Tables._log_version).
_DELTA_LOG_USABLE = True

# logical name -> (layer, table) for the default path layout
DEFAULT_LAYOUT: dict[str, tuple[str, str]] = {
    "bronze_documents": ("bronze", "documents"),
    "bronze_quarantine": ("bronze", "quarantine"),
    "silver_documents": ("silver", "documents"),
    "silver_rejections": ("silver", "rejections"),
    "silver_dedup_clusters": ("silver", "dedup_clusters"),
    "silver_minhash_index": ("silver", "minhash_index"),
    "silver_pii_findings": ("silver", "pii_findings"),
    "gold_documents": ("gold", "documents"),
    "ops_dq_results": ("ops", "dq_results"),
    "ops_dq_metrics": ("ops", "dq_metrics"),
    "ops_runs": ("ops", "runs"),
    "ops_lease": ("ops", "lease"),
}

CDF_META_COLUMNS = ("_change_type", "_commit_version", "_commit_timestamp")


class TableError(ValueError):
    """An unknown table name or a version that does not exist."""


def _is_uri(path: str) -> bool:
    return "://" in path or path.startswith("dbfs:")


def _string_map(value: Any) -> dict[str, str | None]:
    """A ``commitInfo`` map as ``DeltaTable.history()`` gives it: values as strings, null as None."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str | None) else json.dumps(v) for k, v in value.items()}


@dataclass
class Tables:
    """Resolves logical table names and wraps the Delta operations jobs need."""

    spark: SparkSession
    settings: LakehouseSettings

    def names(self) -> list[str]:
        return sorted(set(DEFAULT_LAYOUT) | set(self.settings.tables))

    def location(self, name: str) -> TableLocation:
        loc = self.settings.tables.get(name)
        if loc is not None and (loc.path or loc.name):
            return loc
        if name not in DEFAULT_LAYOUT:
            raise TableError(f"unknown table {name!r}; known: {', '.join(self.names())}")
        layer, table = DEFAULT_LAYOUT[name]
        root = self.settings.root.rstrip("/")
        path = f"{root}/{layer}/{table}"
        if not _is_uri(path):
            path = str(Path(path).resolve())
        return TableLocation(path=path)

    def checkpoint_root(self) -> str:
        root = self.settings.checkpoints or f"{self.settings.root.rstrip('/')}/_checkpoints"
        return root if _is_uri(root) else str(Path(root).resolve())

    def describe(self, name: str) -> str:
        loc = self.location(name)
        return loc.name or str(loc.path)

    def exists(self, name: str) -> bool:
        loc = self.location(name)
        if loc.name:
            return bool(self.spark.catalog.tableExists(loc.name))
        return bool(DeltaTable.isDeltaTable(self.spark, str(loc.path)))

    def delta(self, name: str) -> DeltaTable:
        loc = self.location(name)
        if loc.name:
            return DeltaTable.forName(self.spark, loc.name)
        return DeltaTable.forPath(self.spark, str(loc.path))

    def read(self, name: str, version: int | None = None) -> DataFrame:
        """The table, at its latest version or at ``version`` (time travel)."""
        loc = self.location(name)
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        if loc.name:
            if version is None:
                return self.spark.table(loc.name)
            return self.spark.sql(f"SELECT * FROM {loc.name} VERSION AS OF {int(version)}")
        return reader.load(str(loc.path))

    def current_version(self, name: str) -> int | None:
        """Latest committed version, or None when the table does not exist yet."""
        loc = self.location(name)
        if not loc.name:
            version = self._log_version(str(loc.path))
            if version is not None:
                return None if version < 0 else version
        if not self.exists(name):
            return None
        row = self.delta(name).history(1).select("version").head()
        return int(row["version"]) if row else None

    def _log_version(self, path: str) -> int | None:
        """The path table's latest version from its Delta log (-1: no table), or None if unavailable.

        Reading ``history(1)`` runs a Spark job (~0.2 s warm); the log's snapshot is one listing of
        ``_delta_log`` (~10 ms), and a run asks for versions dozens of times. ``DeltaLog`` is Delta's
        internal API: where it differs (Databricks ships its own Delta), the history is used instead.
        """
        global _DELTA_LOG_USABLE
        if not _DELTA_LOG_USABLE:
            return None
        try:
            jvm = self.spark.sparkContext._jvm
            assert jvm is not None
            log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(self.spark._jsparkSession, path)
            defaults = [getattr(log, f"update$default${i}")() for i in (1, 2, 3)]
            return int(log.update(*defaults).version())
        except Exception:  # noqa: BLE001 - any mismatch of the internal API: fall back for good
            _log.debug("DeltaLog snapshot unavailable; table versions come from the history")
            _DELTA_LOG_USABLE = False
            return None

    def read_appended(self, name: str, after_version: int | None, up_to_version: int) -> DataFrame:
        """Rows appended in versions ``(after_version, up_to_version]``.

        Tables written by the engine are append-only, so the change feed's inserts are exactly the new
        rows. With no watermark the snapshot at ``up_to_version`` is the whole batch.
        """
        if after_version is None or after_version < 0:
            return self.read(name, up_to_version)
        loc = self.location(name)
        reader = (
            self.spark.read.format("delta")
            .option("readChangeFeed", "true")
            .option("startingVersion", after_version + 1)
            .option("endingVersion", up_to_version)
        )
        df = reader.table(loc.name) if loc.name else reader.load(str(loc.path))
        return df.where(F.col("_change_type") == "insert").drop(*CDF_META_COLUMNS)

    def ensure(self, name: str, schema: StructType) -> None:
        """Create the table with ``schema`` and the change feed on, unless it exists.

        Tables that several streams append to are created up front: two writers creating the same
        empty table concurrently would fail with Delta's ProtocolChangedException.
        """
        if self.exists(name):
            return
        loc = self.location(name)
        builder = DeltaTable.createIfNotExists(self.spark).addColumns(schema)
        builder = builder.property("delta.enableChangeDataFeed", "true")
        builder = builder.tableName(loc.name) if loc.name else builder.location(str(loc.path))
        builder.execute()

    def append(
        self,
        df: DataFrame,
        name: str,
        *,
        txn_app_id: str | None = None,
        txn_version: int | None = None,
        user_metadata: Mapping[str, Any] | None = None,
        merge_schema: bool = False,
    ) -> None:
        """Append ``df`` as one Delta commit, idempotent per (txn_app_id, txn_version)."""
        writer = df.write.format("delta").mode("append")
        if txn_app_id is not None and txn_version is not None:
            writer = writer.option("txnAppId", txn_app_id).option("txnVersion", int(txn_version))
        if user_metadata:
            writer = writer.option("userMetadata", json.dumps(dict(user_metadata), sort_keys=True))
        if merge_schema:
            writer = writer.option("mergeSchema", "true")
        loc = self.location(name)
        with described(self.spark, f"dq-engine: append {name}"):
            if loc.name:
                writer.saveAsTable(loc.name)
            else:
                writer.save(str(loc.path))

    def commit_infos(self, name: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` commits of ``name`` (all when None), newest first, as plain dicts.

        Keys: ``version``, ``operation``, ``operationParameters`` and ``operationMetrics`` (string
        maps, as ``DeltaTable.history`` gives them) and ``userMetadata`` (str or None). For a table at
        a local path they are read from its commit files (``_delta_log/<version>.json``, the
        ``commitInfo`` action of the Delta protocol); ``history()`` runs a Spark job and its first
        call in a JVM takes seconds, and a run that finds nothing new asks about a dozen tables. Where
        a commit file is missing (log cleanup) or the files do not end at the snapshot's version (a
        commit not yet written back to ``_delta_log``), and for object stores and catalog tables,
        ``history()`` answers instead.
        """
        infos = self._logged_commit_infos(name, limit)
        if infos is not None:
            return infos
        hist = self.delta(name).history(limit) if limit else self.delta(name).history()
        rows = hist.select(
            "version", "operation", "operationParameters", "operationMetrics", "userMetadata"
        ).collect()
        out = [
            {
                "version": int(r["version"]),
                "operation": r["operation"],
                "operationParameters": dict(r["operationParameters"] or {}),
                "operationMetrics": dict(r["operationMetrics"] or {}),
                "userMetadata": r["userMetadata"],
            }
            for r in rows
        ]
        return sorted(out, key=lambda c: c["version"], reverse=True)

    def _logged_commit_infos(self, name: str, limit: int | None) -> list[dict[str, Any]] | None:
        """:meth:`commit_infos` from the local commit files, or None when they cannot answer."""
        loc = self.location(name)
        if loc.name or loc.path is None or _is_uri(loc.path.removeprefix("file:")):
            return None
        log_dir = Path(loc.path.removeprefix("file:")) / "_delta_log"
        newest = self.current_version(name)
        if newest is None or not log_dir.is_dir():
            return None
        if limit is None:
            on_disk = [int(p.name[:20]) for p in log_dir.glob("[0-9]" * 20 + ".json")]
            oldest = min(on_disk, default=newest + 1)
            if max(on_disk, default=-1) != newest:
                return None
        else:
            oldest = max(newest - limit + 1, 0)
        out: list[dict[str, Any]] = []
        for version in range(newest, oldest - 1, -1):
            try:
                lines = (log_dir / f"{version:020d}.json").read_text(encoding="utf-8").splitlines()
            except OSError:
                return None
            actions = (json.loads(line) for line in lines if '"commitInfo"' in line)
            info = next((a["commitInfo"] for a in actions if isinstance(a, dict) and "commitInfo" in a), None)
            if not isinstance(info, dict):
                return None

            out.append(
                {
                    "version": version,
                    "operation": info.get("operation"),
                    "operationParameters": _string_map(info.get("operationParameters")),
                    "operationMetrics": _string_map(info.get("operationMetrics")),
                    "userMetadata": info.get("userMetadata"),
                }
            )
        return out

    def history(self, name: str, limit: int | None = None) -> DataFrame:
        """Delta history with the engine's run id parsed out of the commit's userMetadata."""
        hist = self.delta(name).history(limit) if limit else self.delta(name).history()
        return hist.select(
            "version",
            "timestamp",
            "operation",
            F.get_json_object("userMetadata", "$.run_id").alias("run_id"),
            F.get_json_object("userMetadata", "$.job").alias("job"),
            F.col("operationMetrics").getItem("numOutputRows").alias("rows_written"),
            "userMetadata",
        ).orderBy(F.col("version").desc())

    def restore(self, name: str, version: int, user_metadata: Mapping[str, Any] | None = None) -> DataFrame:
        """Restore the table to ``version`` (a new commit; history is kept)."""
        current = self.current_version(name)
        if current is None:
            raise TableError(f"table {name!r} does not exist")
        if version < 0 or version > current:
            raise TableError(f"table {name!r} has versions 0..{current}, not {version}")
        with self._commit_metadata(user_metadata):
            return self.delta(name).restoreToVersion(version)

    def delete_all(self, name: str, user_metadata: Mapping[str, Any] | None = None) -> None:
        """Remove every row in one commit (history is kept): a restore to before the first row."""
        with self._commit_metadata(user_metadata):
            self.delta(name).delete()

    @contextmanager
    def _commit_metadata(self, user_metadata: Mapping[str, Any] | None) -> Iterator[None]:
        """``userMetadata`` for commits that take no writer option (RESTORE, DELETE)."""
        if not user_metadata:
            yield
            return
        key = "spark.databricks.delta.commitInfo.userMetadata"
        conf = self.spark.conf
        previous = conf.get(key, None)
        conf.set(key, json.dumps(dict(user_metadata), sort_keys=True))
        try:
            yield
        finally:
            if previous is None:
                conf.unset(key)
            else:
                conf.set(key, previous)
