"""``ops.runs``: one row per job step, and the watermarks incremental jobs resume from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

#: ``ops.runs`` status of the row ``dq-engine restore`` writes to move a job's watermark back
REWOUND = "rewound"

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
    """Where the next ``job`` run starts reading ``table`` (see :func:`watermarks`)."""
    return watermarks(tables, job, (table,))[table]


def watermarks(tables: Tables, job: str, names: Sequence[str]) -> dict[str, int | None]:
    """Where the next ``job`` run starts reading each of ``names``, in one query of ``ops.runs``.

    Per table: the highest ``input_versions[table]`` of a succeeded ``job`` run since the newest
    ``rewound`` row of that job (written by ``dq-engine restore``, which moves the watermark back), the
    rewound row included. Rows are ordered by ``finished_at``: the lakehouse lease keeps writers one at
    a time.
    """
    if not tables.exists("ops_runs"):
        return dict.fromkeys(names)
    rows = tables.read("ops_runs").where((F.col("job") == job) & F.col("status").isin("succeeded", REWOUND))
    # The newest rewind as a one-row side of the same query, not a second Spark action.
    since = rows.agg(F.max(F.when(F.col("status") == REWOUND, F.col("finished_at"))).alias("_since"))
    after_rewind = F.col("_since").isNull() | (F.col("finished_at") >= F.col("_since"))
    current = rows.crossJoin(since).where(after_rewind)
    row = current.agg(
        *[F.max(F.col("input_versions").getItem(name)).alias(f"v{i}") for i, name in enumerate(names)]
    ).head()
    return {
        name: None if row is None or row[f"v{i}"] is None else int(row[f"v{i}"])
        for i, name in enumerate(names)
    }
