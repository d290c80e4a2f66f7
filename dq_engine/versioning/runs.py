"""``ops.runs``: one row per job step, and the watermarks incremental jobs resume from.

A job's watermark on a table is the highest ``input_versions[table]`` of its succeeded rows since its
newest ``rewound`` row (see :func:`watermarks`). Every commit of ``ops.runs`` also carries the
watermarks of every job as they stand after it, in its ``userMetadata`` under ``"watermarks"``, so a
run reads them from the newest commit (a small JSON file) instead of querying the table, which on a
cold JVM costs seconds. The table stays the truth: where the newest commit carries no watermarks (one
written by an older engine, a hand-made write, OPTIMIZE) they come from the query.
"""

from __future__ import annotations

import json
import logging
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

log = logging.getLogger(__name__)

#: ``ops.runs`` status of the row ``dq-engine restore`` writes to move a job's watermark back
REWOUND = "rewound"
#: the ``userMetadata`` key of an ``ops.runs`` commit holding every job's watermarks after it
MARKS_KEY = "watermarks"
#: ``job -> table -> version``
Marks = dict[str, dict[str, int]]

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
    """Append one row to ``ops.runs``. Versions that are None (table absent) are left out.

    The commit carries the watermarks as they stand after this row (:data:`MARKS_KEY`). Callers hold
    the lakehouse lease, so no other row lands between reading the previous ones and this commit.
    """
    inputs = {k: int(v) for k, v in (input_versions or {}).items() if v is not None}
    marks = _advance(current_marks(tables), job, status, inputs)
    row = (
        run_id,
        job,
        status,
        started_at,
        datetime.now(timezone.utc),
        inputs,
        {k: int(v) for k, v in (output_versions or {}).items() if v is not None},
        {k: int(v) for k, v in (counts or {}).items()},
        message,
    )
    df = tables.spark.createDataFrame([row], RUNS_SCHEMA)
    metadata = {"run_id": run_id, "job": f"{job}:{status}", MARKS_KEY: marks}
    tables.append(df, "ops_runs", user_metadata=metadata)


def _advance(marks: Marks, job: str, status: str, inputs: Mapping[str, int]) -> Marks:
    """``marks`` after one more row: a succeeded row raises its job's marks, a rewound row replaces them."""
    out = {name: dict(tables) for name, tables in marks.items()}
    if status == REWOUND:
        out[job] = dict(inputs)
    elif status == "succeeded":
        into = out.setdefault(job, {})
        for table, version in inputs.items():
            into[table] = max(version, into.get(table, version))
    return {name: tables for name, tables in out.items() if tables}  # a job with no marks: absent


def current_marks(tables: Tables) -> Marks:
    """Every job's watermarks: from the newest commit of ``ops.runs``, else by querying its rows."""
    if not tables.exists("ops_runs"):
        return {}
    logged = _logged_marks(tables)
    return logged if logged is not None else queried_marks(tables)


def _logged_marks(tables: Tables) -> Marks | None:
    """The watermarks the newest commit of ``ops.runs`` carries, or None when it carries none."""
    newest = tables.commit_infos("ops_runs", 1)
    try:
        marks = json.loads(newest[0]["userMetadata"] or "{}").get(MARKS_KEY) if newest else None
    except (ValueError, AttributeError):  # somebody else's free-text userMetadata
        return None
    if not isinstance(marks, dict):
        return None
    try:
        return {str(job): {str(t): int(v) for t, v in versions.items()} for job, versions in marks.items()}
    except (AttributeError, TypeError, ValueError):
        log.warning("ops.runs: the newest commit's watermarks are malformed; reading the rows")
        return None


def queried_marks(tables: Tables) -> Marks:
    """Every job's watermarks from the rows of ``ops.runs``, in one Spark query (see :func:`watermarks`)."""
    rows = tables.read("ops_runs").where(F.col("status").isin("succeeded", REWOUND))
    # Per job, the newest rewind as a side of the same query, not a second Spark action.
    since = rows.groupBy("job").agg(
        F.max(F.when(F.col("status") == REWOUND, F.col("finished_at"))).alias("_since")
    )
    current = rows.join(since, "job").where(
        F.col("_since").isNull() | (F.col("finished_at") >= F.col("_since"))
    )
    found = (
        current.select("job", F.explode("input_versions").alias("table", "version"))
        .groupBy("job", "table")
        .agg(F.max("version").alias("version"))
        .collect()
    )
    marks: Marks = {}
    for r in found:
        if r["version"] is not None:
            marks.setdefault(r["job"], {})[r["table"]] = int(r["version"])
    return marks


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
    marks = current_marks(tables).get(job, {})
    return {name: marks.get(name) for name in names}
