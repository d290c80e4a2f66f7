"""Two ``dq-engine run`` processes on one lakehouse: the second fails naming the first, or waits for it.

Run A is held at a pause point after its ``silver.documents`` append (``DQ_ENGINE_PAUSE_RESUME`` lets
it go on later), so it holds the lease at a known moment. Run B starts and must exit 1 with one line
naming A's run id; run C starts with ``lakehouse.lease.wait_seconds`` and must wait, then run once A
is done. The tables must equal one uninterrupted run's.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from conftest import config_with_sources
from pyspark.sql import SparkSession
from test_kill_recovery import cli_env, cli_run_command
from web_batches import RECOVERY_PIPELINE, land, snapshot, source_spec

from dq_engine.config import LakehouseSettings
from dq_engine.runner import run_job
from dq_engine.versioning.lease import current_state
from dq_engine.versioning.tables import Tables

TIMEOUT_S = 600


def _start(root: Path, landing: Path, pipeline: Path, name: str, *extra: str, **env_extra: str):  # type: ignore[no-untyped-def]
    env = cli_env()
    env.update(env_extra, DQ_ENGINE_LOG_DIR=str(root / f"logs-{name}"))
    return subprocess.Popen(
        cli_run_command(root, landing, pipeline, *extra),
        cwd=root,
        env=env,
        stdout=(root / f"{name}.out").open("w"),
        stderr=(root / f"{name}.err").open("w"),
        start_new_session=True,
    )


def _wait(proc: subprocess.Popen[bytes], what: str) -> int:
    try:
        return proc.wait(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"{what} did not finish") from None


@pytest.mark.slow
def test_a_second_run_fails_naming_the_first_and_a_waiting_run_goes_after_it(
    spark: SparkSession, tmp_path: Path
) -> None:
    pipeline = tmp_path / "concurrent.yaml"
    pipeline.write_text(RECOVERY_PIPELINE, encoding="utf-8")
    root, landing = tmp_path / "lh", tmp_path / "landing"
    root.mkdir()
    land(landing, 0)
    land(landing, 1)
    marker, resume = root / "a.paused", root / "a.resume"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        a = _start(
            root,
            landing,
            pipeline,
            "a",
            DQ_ENGINE_PAUSE_AT="curate.after_silver_documents",
            DQ_ENGINE_PAUSE_MARKER=str(marker),
            DQ_ENGINE_PAUSE_RESUME=str(resume),
        )
        procs.append(a)
        deadline = time.monotonic() + TIMEOUT_S
        while not marker.exists():
            assert a.poll() is None, (root / "a.err").read_text()[-3000:]
            assert time.monotonic() < deadline, "run A never reached its pause point"
            time.sleep(0.2)
        holder = current_state(Tables(spark, LakehouseSettings(root=str(root / "lakehouse"))))
        assert holder is not None and holder.action in ("acquire", "renew")

        waiting = ("lakehouse.lease.wait_seconds=900", "lakehouse.lease.poll_seconds=1")
        b = _start(root, landing, pipeline, "b")
        c = _start(root, landing, pipeline, "c", *waiting)
        procs += [b, c]
        assert _wait(b, "run B") == 1
        err = (root / "b.err").read_text()
        assert "Traceback" not in err
        last = err.strip().splitlines()[-1]
        assert last.startswith("error: run not started: lakehouse "), err[-2000:]
        assert f"in use by run {holder.run_id} (job run, host " in last
        assert c.poll() is None  # C waits for the lease instead of failing

        resume.touch()
        assert _wait(a, "run A") == 0, (root / "a.err").read_text()[-3000:]
        assert _wait(c, "run C") == 0, (root / "c.err").read_text()[-3000:]
        assert "curate: skipped (no new bronze versions" in (root / "c.out").read_text()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=60)

    reference = tmp_path / "ref"
    config = config_with_sources(reference, source_spec(landing), extra=(f"pipeline={pipeline}",))
    assert run_job("run", config, spark).ok
    got, expected = snapshot(spark, root), snapshot(spark, reference)
    assert got == expected
    for name in ("bronze_documents", "silver_documents", "gold_documents"):
        assert len(set(got[name])) == len(got[name]), f"duplicate ids in {name}"
    final = current_state(Tables(spark, LakehouseSettings(root=str(root / "lakehouse"))))
    assert final is not None and final.action == "release"
