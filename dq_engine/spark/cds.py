"""A class-data-sharing archive for the local driver JVM: seconds off every embedded session start.

A local run spends seconds of its start-up loading and verifying the same classes (Spark SQL, Delta,
Deequ, Hadoop) that every run loads. JDK 13+ can dump the classes one run loaded into an archive
(``-XX:ArchiveClassesAtExit``) and map it into later JVMs (``-XX:SharedArchiveFile``), which then skip
parsing and verifying them. ``make cds`` (part of ``make setup``) trains one next to the jars with
:func:`main`: the pipeline on the bundled sample, twice, in a scratch lakehouse, in one JVM.
:func:`driver_java_options` hands it to every session :func:`~dq_engine.spark.session.build_session`
launches itself. The JVM checks the archive against its own build and class path and ignores it
(silently, ``-Xshare:auto`` with its log off) when they differ, so a stale archive costs the gain,
never a failure.

Clusters and ``spark-submit`` start their JVMs themselves and are not affected. ``DQ_ENGINE_CDS=0``
turns it off.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from dq_engine.spark.jars import default_jars_dir

ARCHIVE_NAME = "driver-classes.jsa"
CDS_ENV = "DQ_ENGINE_CDS"
#: ``-Xshare:auto``: map the archive when it matches this JVM, run without it otherwise; the archive's
#: own messages (a mismatch is a warning) are not for the user.
USE_OPTIONS = "-Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"


def archive_path(jars_dir: str | Path | None = None) -> Path:
    """Where the archive lives: beside the jars it was trained with."""
    return (Path(jars_dir) if jars_dir else default_jars_dir()) / ARCHIVE_NAME


def driver_java_options(jars_dir: str | Path | None = None) -> str | None:
    """The driver JVM options that map the archive, or None (no archive, or ``DQ_ENGINE_CDS=0``)."""
    if os.environ.get(CDS_ENV, "1") == "0":
        return None
    path = archive_path(jars_dir)
    if not path.is_file():
        return None
    return f"-XX:SharedArchiveFile={path} {USE_OPTIONS}"


def train(out: Path, conf_dir: Path, jars_dir: Path | None = None) -> float:
    """Write the archive to ``out`` from one JVM that runs the pipeline on the bundled sample twice.

    The second run finds nothing new, so the classes of both paths are in the archive. Returns the
    seconds the JVM took to write it after the session stopped.
    """
    # Imported here: the rest of this module must not import the engine (session.py imports it).
    from dq_engine.config import load_config
    from dq_engine.runner import run_job
    from dq_engine.spark.session import build_session, stop_session

    out = out.resolve()
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="dq-engine-cds-"))
    try:
        config = load_config(
            conf_dir,
            overrides=[
                f"lakehouse.root={scratch / 'lakehouse'}",
                "mlflow.enabled=false",
                "lakehouse.lease.heartbeat_seconds=0",
            ],
        )
        conf = dict(config.spark.conf)
        # The dump lists every class it cannot archive (generated, signed, old bytecode) as a warning.
        conf["spark.driver.extraJavaOptions"] = (
            f"-XX:ArchiveClassesAtExit={partial} -Xlog:cds=off -Xlog:cds+dynamic=off"
        )
        spark = build_session(
            app_name="dq-engine-cds",
            master=config.spark.master,
            conf=conf,
            jars_dir=str(jars_dir) if jars_dir else config.spark.jars_dir,
            adopt_active=False,
        )
        gateway = spark.sparkContext._gateway
        for _ in range(2):
            run_job("run", config, spark)
        stop_session(spark)
        # The JVM writes the archive when it exits, which it does once its stdin (our pipe) closes.
        proc = getattr(gateway, "proc", None)
        started = time.monotonic()
        if proc is not None and gateway is not None:
            gateway.shutdown()
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=600)
        seconds = time.monotonic() - started
        if not partial.is_file():
            raise RuntimeError(f"the JVM wrote no class-data-sharing archive at {partial}")
        partial.replace(out)
        return seconds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the driver JVM's class-data-sharing archive.")
    parser.add_argument("--out", type=Path, default=None, help=f"default: <jars>/{ARCHIVE_NAME}")
    parser.add_argument("--conf-path", type=Path, default=Path("conf"), help="config folder (the sample's)")
    parser.add_argument("--jars-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or archive_path(args.jars_dir)
    seconds = train(out, args.conf_path, args.jars_dir)
    print(f"cds archive {out} ({out.stat().st_size / 2**20:.0f} MiB, written in {seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
