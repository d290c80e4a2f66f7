"""``ops.runs``: one row per job step, and the watermarks incremental jobs resume from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from pyspark.sql import functions as F
from pyspark.sql.types import (
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from dq_engine.versioning.tables import Tables

RUNS_SCHEMA = StructType(
    [
        StructField("run_id", StringType(), False),
        StructField("job", StringType(), False),
        StructField("status", StringType(), False),
        StructField("started_at", TimestampType(), True),
        StructField("finished_at", TimestampType(), True),
        StructField("input_versions", MapType(StringType(), LongType()), True),
        StructField("output_versions", MapType(StringType(), LongType()), True),
        StructField("counts", MapType(StringType(), LongType()), True),
        StructField("message", StringType(), True),
    ]
)


def record_run(
    tables: Tables,
    *,
    run_id: str,
    job: str,
    status: str,
    started_at: datetime,
    input_versions: Mapping[str, int | None] | None = None,
    output_versions: Mapping[str, int | None] | None = None,
    counts: Mapping[str, int] | None = None,
    message: str | None = None,
) -> None:
    """Append one row to ``ops.runs``. Versions that are None (table absent) are left out."""
    row = (
        run_id,
        job,
        status,
        started_at,
        datetime.now(timezone.utc),
        {k: int(v) for k, v in (input_versions or {}).items() if v is not None},
        {k: int(v) for k, v in (output_versions or {}).items() if v is not None},
        {k: int(v) for k, v in (counts or {}).items()},
        message,
    )
    df = tables.spark.createDataFrame([row], RUNS_SCHEMA)
    tables.append(df, "ops_runs", user_metadata={"run_id": run_id, "job": f"{job}:{status}"})


def watermark(tables: Tables, job: str, table: str) -> int | None:
    """The highest ``input_versions[table]`` of a succeeded ``job`` run: where the next run starts."""
    if not tables.exists("ops_runs"):
        return None
    row = (
        tables.read("ops_runs")
        .where((F.col("job") == job) & (F.col("status") == "succeeded"))
        .agg(F.max(F.col("input_versions").getItem(table)).alias("v"))
        .head()
    )
    return None if row is None or row["v"] is None else int(row["v"])
