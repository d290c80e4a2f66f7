"""The one place that builds or adopts a SparkSession.

On Databricks, EMR and Glue the platform owns the session (jars come from cluster libraries or
``--extra-jars``): :func:`build_session` adopts the active one and only sets SQL confs that are safe at
runtime. Locally it builds a session with the jars from ``conf/jars/pom.xml``, the Delta extensions and
Arrow enabled.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

import pyspark
from pyspark.java_gateway import ensure_callback_server_started
from pyspark.sql import SparkSession

from dq_engine.spark.cds import driver_java_options
from dq_engine.spark.jars import find_jars

log = logging.getLogger(__name__)

# pydeequ refuses to import without it; it must match the Spark line the Deequ jar was built for.
os.environ.setdefault("SPARK_VERSION", ".".join(pyspark.__version__.split(".")[:2]))

DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}

_BUILT_HERE: set[int] = set()

DEFAULT_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Every new Delta table records its change feed, so curate and publish read only what was appended.
    "spark.databricks.delta.properties.defaults.enableChangeDataFeed": "true",
    "spark.sql.session.timeZone": "UTC",
}

# Pure-JVM zstd for .zst landing files (conf/jars/codecs): pyspark's Hadoop has no native zstd.
ZSTD_CODEC = "io.dqengine.hadoop.ZstdStreamCodec"
CODECS_KEY = "io.compression.codecs"


def build_session(
    app_name: str = "dq-engine",
    master: str | None = "local[*]",
    conf: Mapping[str, str] | None = None,
    jars_dir: str | None = None,
    adopt_active: bool = True,
) -> SparkSession:
    """Return the platform's active session, or build a local one with Delta, Deequ and Spark NLP.

    Args:
        app_name: Spark application name.
        master: ``local[N]`` for an embedded session; ``None`` lets spark-submit decide.
        conf: extra Spark confs (``spark.sql.shuffle.partitions`` and the like).
        jars_dir: folder holding the resolved JVM artifacts; see :mod:`dq_engine.spark.jars`.
        adopt_active: reuse an active session (Databricks notebook, Glue job, spark-submit driver).
    """
    active = SparkSession.getActiveSession() if adopt_active else None
    if active is not None:
        for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
            if key.startswith(("spark.sql.", "spark.databricks.")):
                active.conf.set(key, value)
            elif key.startswith("spark.hadoop.") and key != f"spark.hadoop.{CODECS_KEY}":
                # A running session reads Hadoop settings from its SQL conf without the prefix.
                active.conf.set(key[len("spark.hadoop.") :], value)
        if _jvm_has_class(active, ZSTD_CODEC):
            active.conf.set(CODECS_KEY, ZSTD_CODEC)
        else:
            log.warning("%s is not on the cluster classpath: .zst landing files cannot be read", ZSTD_CODEC)
        log.info("adopted the active Spark session %s", active.sparkContext.applicationId)
        _ensure_daemon_callback_server(active)
        return active

    builder = SparkSession.builder.appName(app_name)
    # Under spark-submit the driver JVM already exists (PYSPARK_GATEWAY_PORT is set) and its --master
    # must win over the config's local default.
    if master and "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.master(master)
        if master.startswith("local"):
            # Local Python workers must run this interpreter (the venv with pyarrow), not the first
            # python3 on PATH. Never on a cluster: executors there have their own interpreter.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    merged = {**DELTA_CONF, **DEFAULT_CONF, f"spark.hadoop.{CODECS_KEY}": ZSTD_CODEC, **(conf or {})}
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        # Under spark-submit the JVM already started with --jars / the cluster's libraries; a jars
        # folder beside the code (absent when it runs from a --py-files zip) is not needed there.
        if "spark.jars" not in merged:
            merged["spark.jars"] = ",".join(str(j) for j in find_jars(jars_dir))
        _add_class_archive(merged, jars_dir)
    for key, value in merged.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    _BUILT_HERE.add(id(spark))
    _ensure_daemon_callback_server(spark)
    return spark


def _add_class_archive(conf: dict[str, str], jars_dir: str | None) -> None:
    """Map the driver's class-data-sharing archive (:mod:`dq_engine.spark.cds`) into a JVM we launch."""
    key = "spark.driver.extraJavaOptions"
    given = conf.get(key, "")
    options = driver_java_options(jars_dir)
    if options and "SharedArchiveFile" not in given and "ArchiveClassesAtExit" not in given:
        conf[key] = f"{given} {options}".strip()


def _jvm_has_class(spark: SparkSession, name: str) -> bool:
    try:
        # Spark's own lookup: the context class loader that holds spark.jars / cluster libraries.
        spark.sparkContext._jvm.org.apache.spark.util.Utils.classForName(name, True, False)  # type: ignore[union-attr]
        return True
    except Exception:  # noqa: BLE001 - py4j wraps ClassNotFoundException
        return False


def _ensure_daemon_callback_server(spark: SparkSession) -> None:
    # foreachBatch (ingest) and pydeequ's Python assertions both need py4j's callback server. Started
    # here the PySpark way (daemon threads, ephemeral port), pydeequ reuses it instead of starting a
    # non-daemon one on a fixed port, and the process can exit without shutting it down (a shutdown
    # blocks on a connection the JVM keeps open).
    ensure_callback_server_started(spark.sparkContext._gateway)


def stop_session(spark: SparkSession) -> None:
    """Stop a session :func:`build_session` built; an adopted platform session is left running."""
    if id(spark) in _BUILT_HERE:
        _BUILT_HERE.discard(id(spark))
        spark.stop()
