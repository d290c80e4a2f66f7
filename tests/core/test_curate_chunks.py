"""A backlog of bronze versions is curated in bounded chunks, each committed with its own ops.runs row.

The integration test ingests the sample's two web batches as two bronze versions, then curates both in
one run split into one chunk per version. It fails in the second chunk right after the
``silver.documents`` append (an exception at that pause point: the tables are left as a crash there
leaves them), and a rerun must finish it. The result must equal two uninterrupted runs, one per batch
(``two_web_runs``), in every table, gold included, with no id twice, and the ``ops.runs`` rows must
add up to what was curated.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from web_batches import TwoWebRuns, land, snapshot

from dq_engine.core import curate as curate_module
from dq_engine.core.curate import split_range
from dq_engine.runner import run_job
from dq_engine.versioning import Tables


def test_versions_are_grouped_up_to_the_row_budget() -> None:
    rows = {0: 0, 1: 100, 2: 100, 3: 100, 4: 0, 5: 250, 6: 10}
    assert split_range(rows, None, 6, 200) == [(None, 2), (2, 4), (4, 5), (5, 6)]
    assert split_range(rows, None, 6, 10_000) == [(None, 6)]
    assert split_range(rows, 2, 6, 200) == [(2, 4), (4, 5), (5, 6)]


def test_a_version_over_the_budget_is_a_chunk_of_its_own_and_the_last_chunk_ends_at_up_to() -> None:
    assert split_range({3: 500}, 2, 3, 100) == [(2, 3)]
    assert split_range({3: 500, 4: 1}, 2, 4, 100) == [(2, 3), (3, 4)]
    # versions missing from the log count as empty and stay with the chunk before them
    assert split_range({1: 5}, 0, 7, 5) == [(0, 7)]


class _Crash(RuntimeError):
    pass


@pytest.mark.slow
def test_backlog_is_curated_in_chunks_and_a_crash_in_the_second_resumes_from_the_first(
    spark: SparkSession, two_web_runs: TwoWebRuns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, landing = tmp_path / "chunked", tmp_path / "landing"
    config = two_web_runs.config(root).model_copy(deep=True)
    config.ingest.sources[0].path = str(landing)
    config.curate.max_rows_per_chunk = 1  # one chunk per bronze version
    for batch in (0, 1):  # two ingests: two bronze versions, one per batch
        land(landing, batch)
        assert run_job("ingest", config, spark).ok
    tables = Tables(spark, config.lakehouse)

    seen: list[str] = []
    real_pause = curate_module.pause_point

    def crash_in_second_chunk(name: str) -> None:
        seen.append(name)
        if name == "curate.after_silver_documents" and "curate.after_chunk" in seen:
            raise _Crash("killed after the second chunk's silver.documents append")
        real_pause(name)

    monkeypatch.setattr(curate_module, "pause_point", crash_in_second_chunk)
    with pytest.raises(_Crash):
        run_job("curate", config, spark)
    monkeypatch.setattr(curate_module, "pause_point", real_pause)
    assert seen.count("curate.after_chunk") == 1

    runs = tables.read("ops_runs").where(F.col("job") == "curate").orderBy("finished_at").collect()
    assert [r["status"] for r in runs] == ["succeeded", "failed"]
    first_chunk = runs[0]
    assert first_chunk["message"].startswith("chunk 1 of 2")

    report = run_job("run", config, spark)  # nothing new to ingest; curate, then audit and publish
    assert report.ok and report.curate is not None
    # Only the half-written second chunk is left: silver.documents skips it (its key is committed),
    # the other tables get it.
    assert report.curate.chunks == [(report.curate.bronze_from, report.curate.bronze_to)]
    assert report.curate.bronze_from == first_chunk["input_versions"]["bronze_documents"]

    got, expected = snapshot(spark, root), snapshot(spark, two_web_runs.base / "second")
    for name, rows in got.items():
        assert rows == expected[name], name
    for name in ("silver_documents", "silver_rejections"):
        ids = [r[0] for r in got[name]]
        assert len(set(ids)) == len(ids), f"duplicate ids in {name}"

    # The succeeded rows of both runs add up to the bronze rows, each counted once.
    done = tables.read("ops_runs").where((F.col("job") == "curate") & (F.col("status") == "succeeded"))
    total = done.select(F.sum(F.col("counts")["documents_in"])).head()[0]
    assert total == len(got["bronze_documents"])
    assert done.count() == 2
