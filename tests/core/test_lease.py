"""The lakehouse writer lease (``ops.lease``) on real Delta commits: races, refusals, takeover, renewal."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import REPO_ROOT, lakehouse_overrides
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from dq_engine.config import LakehouseSettings, load_config
from dq_engine.config.models import LeaseSettings
from dq_engine.runner import run_job
from dq_engine.versioning.lease import (
    LEASE_SCHEMA,
    LEASE_TABLE,
    Lease,
    LeaseHeldError,
    LeaseLostError,
    break_lease,
    current_state,
    hold,
)
from dq_engine.versioning.tables import Tables


def _tables(spark: SparkSession, root: Path, **lease: float) -> Tables:
    settings = LakehouseSettings(root=str(root), lease=LeaseSettings(heartbeat_seconds=0, **lease))
    return Tables(spark, settings)


def _write_state(tables: Tables, *, host: str, pid: int, expires_in_s: float) -> None:
    now = datetime.now(timezone.utc)
    row = (0, "acquire", "run-elsewhere", "run", host, pid, now, now + timedelta(seconds=expires_in_s))
    tables.ensure(LEASE_TABLE, LEASE_SCHEMA)
    tables.append(tables.spark.createDataFrame([row], LEASE_SCHEMA), LEASE_TABLE)


def test_two_claims_of_the_same_event_exactly_one_wins(spark: SparkSession, tmp_path: Path) -> None:
    tables = _tables(spark, tmp_path)
    tables.ensure(LEASE_TABLE, LEASE_SCHEMA)
    for seq in range(3):
        claimants = [Lease(tables, f"run-{seq}-{i}", "run") for i in range(2)]
        barrier = threading.Barrier(2)
        won: dict[str, bool] = {}

        def claim(
            lease: Lease, seq: int = seq, barrier: threading.Barrier = barrier, won: dict[str, bool] = won
        ) -> None:
            barrier.wait()
            won[lease.run_id] = lease._claim(seq, "acquire")

        threads = [threading.Thread(target=claim, args=(c,)) for c in claimants]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(won.values()) == [False, True], won
        rows = tables.read(LEASE_TABLE).where(f"seq = {seq}").collect()
        assert len(rows) == 1 and won[rows[0]["run_id"]]


def test_a_held_lease_refuses_a_second_run_by_name_until_released(
    spark: SparkSession, tmp_path: Path
) -> None:
    tables = _tables(spark, tmp_path)
    with hold(tables, "run-a", "run"):
        with pytest.raises(LeaseHeldError, match=r"in use by run run-a \(job run, host .*pid \d+"):
            Lease(tables, "run-b", "curate").acquire()
        state = current_state(tables)
        assert state is not None and state.run_id == "run-a" and state.held(datetime.now(timezone.utc))
    assert current_state(tables).action == "release"  # type: ignore[union-attr]
    with hold(tables, "run-b", "curate"):
        assert current_state(tables).run_id == "run-b"  # type: ignore[union-attr]
    events = [(r["seq"], r["action"], r["run_id"]) for r in tables.read(LEASE_TABLE).orderBy("seq").collect()]
    assert events == [
        (0, "acquire", "run-a"),
        (1, "release", "run-a"),
        (2, "acquire", "run-b"),
        (3, "release", "run-b"),
    ]


def test_released_even_when_the_job_raises(spark: SparkSession, tmp_path: Path) -> None:
    tables = _tables(spark, tmp_path)
    with pytest.raises(RuntimeError, match="boom"), hold(tables, "run-a", "run"):
        raise RuntimeError("boom")
    assert current_state(tables).action == "release"  # type: ignore[union-attr]


def test_a_dead_holder_on_this_host_is_taken_over_at_once(spark: SparkSession, tmp_path: Path) -> None:
    tables = _tables(spark, tmp_path)
    gone = subprocess.Popen(["true"])
    gone.wait()
    _write_state(tables, host=socket.gethostname(), pid=gone.pid, expires_in_s=3600)
    with hold(tables, "run-b", "run"):
        assert current_state(tables).run_id == "run-b"  # type: ignore[union-attr]


def test_a_live_or_remote_holder_is_taken_over_only_after_expiry(spark: SparkSession, tmp_path: Path) -> None:
    tables = _tables(spark, tmp_path)
    _write_state(tables, host="some-other-host", pid=1, expires_in_s=3600)
    with pytest.raises(LeaseHeldError, match="run-elsewhere"):
        Lease(tables, "run-b", "run").acquire()

    expired = _tables(spark, tmp_path / "expired")
    _write_state(expired, host="some-other-host", pid=1, expires_in_s=-1)
    with hold(expired, "run-b", "run"):
        assert current_state(expired).run_id == "run-b"  # type: ignore[union-attr]


def test_waits_for_the_holder_when_configured(spark: SparkSession, tmp_path: Path) -> None:
    holder = Lease(_tables(spark, tmp_path), "run-a", "run")
    holder.acquire()
    timer = threading.Timer(3.0, holder.release)
    timer.start()
    waiting = _tables(spark, tmp_path, wait_seconds=120, poll_seconds=0.5)
    started = time.monotonic()
    with hold(waiting, "run-b", "run"):
        assert time.monotonic() - started >= 2.5
        assert current_state(waiting).run_id == "run-b"  # type: ignore[union-attr]
    timer.join()


def test_heartbeat_renews_and_a_broken_lease_is_noticed(spark: SparkSession, tmp_path: Path) -> None:
    settings = LakehouseSettings(
        root=str(tmp_path), lease=LeaseSettings(ttl_seconds=600, heartbeat_seconds=0.5)
    )
    tables = Tables(spark, settings)
    lease = Lease(tables, "run-a", "run")
    lease.acquire()
    try:
        first = current_state(tables)
        deadline = time.monotonic() + 120
        state = first
        while state is not None and state.action != "renew" and time.monotonic() < deadline:
            time.sleep(0.5)
            state = current_state(tables)
        assert first is not None and state is not None
        assert state.action == "renew" and state.run_id == "run-a" and state.seq > first.seq
        assert state.expires_at is not None and first.expires_at is not None
        assert state.expires_at > first.expires_at  # each renewal moves the expiry on
        lease.check()
        assert break_lease(tables, "operator").run_id == "run-a"  # type: ignore[union-attr]
        deadline = time.monotonic() + 120
        while lease.lost is None and time.monotonic() < deadline:
            time.sleep(0.2)
        with pytest.raises(LeaseLostError, match="lost the lakehouse lease"):
            lease.check()
    finally:
        lease.release()
    assert current_state(tables).action == "break"  # type: ignore[union-attr]


def test_run_job_refuses_while_another_run_holds_the_lease(spark: SparkSession, tmp_path: Path) -> None:
    config = load_config(REPO_ROOT / "conf", overrides=lakehouse_overrides(tmp_path))
    tables = Tables(spark, config.lakehouse)
    with hold(tables, "run-a", "run"), pytest.raises(LeaseHeldError, match="run-a"):
        run_job("curate", config, spark)
    assert not tables.exists("ops_runs")  # refused before anything was written
    report = run_job("curate", config, spark)  # free again: runs (nothing to curate yet)
    assert report.ok and report.curate is not None and report.curate.skipped


def test_the_state_comes_from_commit_metadata_and_from_the_rows_after_a_restore(
    spark: SparkSession, tmp_path: Path
) -> None:
    tables = _tables(spark, tmp_path)
    with hold(tables, "run-a", "run"):
        pass
    with hold(tables, "run-b", "curate"):
        logged = current_state(tables)
        newest = tables.read(LEASE_TABLE).orderBy(F.col("seq").desc()).first()
        assert logged is not None and newest is not None
        assert (logged.seq, logged.action, logged.run_id, logged.host, logged.pid) == (
            newest["seq"], newest["action"], newest["run_id"], newest["host"], newest["pid"]
        )  # fmt: skip
        # Rows come back as naive local times, the log's events as aware UTC ones: the same instant.
        assert logged.at.astimezone(timezone.utc) == newest["at"].astimezone(timezone.utc)
        assert logged.expires_at is not None
        assert logged.expires_at.astimezone(timezone.utc) == newest["expires_at"].astimezone(timezone.utc)
    # Versions: 0 create, 1-2 run-a's acquire/release, 3-4 run-b's. A compaction commit on top changes
    # no row, so the state is still the newest logged event.
    tables.delta(LEASE_TABLE).optimize().executeCompaction()
    state = current_state(tables)
    assert state is not None and (state.seq, state.action, state.run_id) == (3, "release", "run-b")
    # A RESTORE by hand takes the rows back to run-a's release; the newest logged event (run-b's
    # release) no longer matches them, so the state is read from the rows.
    tables.delta(LEASE_TABLE).restoreToVersion(2)
    state = current_state(tables)
    assert state is not None and (state.seq, state.action, state.run_id) == (1, "release", "run-a")
