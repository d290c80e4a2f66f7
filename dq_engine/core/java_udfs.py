"""Our Java UDFs (``conf/jars/udfs``, built into ``jars/dq-engine-udfs-*.jar`` by ``make jars``).

Stages that have a Java engine keep their Spark SQL definition as the reference and choose between
the two with an ``engine`` parameter: ``sql``, ``jvm`` (refuses when the class is not on the
classpath) or ``auto`` (``jvm`` when it can, else ``sql`` with a warning). The jar must be on the
driver's and the executors' classpath (``spark.jars``, ``--jars``, Glue ``--extra-jars``, a cluster
library).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Literal

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DataType

from dq_engine.core.stage import StageError

log = logging.getLogger(__name__)

Engine = Literal["auto", "jvm", "sql"]


def class_available(spark: SparkSession, class_name: str) -> bool:
    """Whether the session's JVM can load ``class_name`` (its jar is on the classpath)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    try:
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        jvm.java.lang.Class.forName(class_name, False, loader)
    except Exception:  # py4j wraps ClassNotFoundException; any failure means "not usable"
        return False
    return True


def use_jvm(engine: Engine, spark: SparkSession, class_name: str, label: str) -> bool:
    """Whether a stage configured with ``engine`` runs its Java UDF ``class_name``.

    Raises:
        StageError: ``engine`` is ``jvm`` and the class cannot be loaded.
    """
    if engine == "sql":
        return False
    if class_available(spark, class_name):
        return True
    if engine == "jvm":
        raise StageError(
            f"{label}: engine jvm needs {class_name} on the classpath "
            "(jars/dq-engine-udfs-*.jar from `make jars`, passed with --jars / spark.jars)"
        )
    log.warning("%s: %s is not on the classpath; using the slower SQL expressions", label, class_name)
    return False


def new_instance(spark: SparkSession, class_name: str, config: str) -> Any:
    """A py4j handle on ``new class_name(config)`` in the driver JVM."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    return getattr(jvm, class_name)(config)


def call_udf(
    spark: SparkSession, prefix: str, config: str, udf: Any, return_type: DataType, *args: Column
) -> Column:
    """Register the Java UDF instance ``udf`` under a name derived from ``prefix`` and ``config``
    (re-registering the same configuration is harmless; two configurations never share a name) and
    call it on ``args``."""
    name = prefix + hashlib.sha1(config.encode("utf-8")).hexdigest()[:16]
    jtype = spark._jsparkSession.parseDataType(return_type.json())
    spark._jsparkSession.udf().register(name, udf, jtype)
    return F.call_function(name, *args)
