"""``jobs/run.py`` under the real ``spark-submit`` of the pyspark install, as on EMR or a cluster.

spark-submit starts the driver JVM (master, jars, Delta extensions from its own flags) and then the
job's Python, whose ``session_for`` attaches to that JVM through ``SparkSession.builder.getOrCreate``.
No ``--set spark.master`` is needed: the session builder sees it runs inside spark-submit's JVM
(``PYSPARK_GATEWAY_PORT``) and lets ``--master`` stand over the config's ``local[*]``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest
from conftest import LIGHT_PIPELINE
from pyspark.sql import SparkSession

from dq_engine.config import LakehouseSettings
from dq_engine.spark.jars import find_jars
from dq_engine.spark.session import DELTA_CONF
from dq_engine.versioning import Tables

REPO_ROOT = Path(__file__).resolve().parents[1]
SPARK_HOME = Path(pyspark.__file__).resolve().parent
SPARK_SUBMIT = SPARK_HOME / "bin" / "spark-submit"
SUBMIT_TIMEOUT_S = 900

INGEST_LINE = re.compile(r"^ingest: (\d+) records read = (\d+) ingested \+ (\d+) quarantined$", re.M)
AUDIT_LINE = re.compile(
    r"^audit \((\S+)\): (\d+) constraints, (passed|FAILED); published=(True|False)$", re.M
)
TABLE_LINE = re.compile(r"^  (\w+)\s+(\S+) -> (\S+)\s+\S+(  \*)?$", re.M)

IMPOSSIBLE_SUITE = """\
name: impossible
description: An error-level check no sample batch can pass, so publishing must be blocked.
checks:
  - name: impossibly_large
    level: error
    constraints:
      - type: has_size
        assertion: "> 1000000"
        hint: the sample has a few hundred documents
"""


@dataclass
class Submitted:
    returncode: int
    stdout: str
    stderr: str

    def versions(self) -> dict[str, tuple[int | None, int | None]]:
        """``{table: (version before, version after)}`` from the summary's table block."""

        def parse(v: str) -> int | None:
            return None if v == "None" else int(v)

        block = self.stdout.split("tables (version before -> after):\n", 1)[-1]
        return {m[1]: (parse(m[2]), parse(m[3])) for m in TABLE_LINE.finditer(block)}

    def explain(self) -> str:
        return (
            f"exit {self.returncode}\n--- stdout ---\n{self.stdout}\n"
            f"--- stderr (tail) ---\n{self.stderr[-6000:]}"
        )


def spark_submit(root: Path, *overrides: str) -> Submitted:
    pipeline = root / "submit.yaml"
    pipeline.write_text(LIGHT_PIPELINE, encoding="utf-8")
    jars = ",".join(str(j) for j in find_jars(REPO_ROOT / "jars"))
    cmd = [
        str(SPARK_SUBMIT),
        "--master",
        "local[2]",
        "--driver-memory",
        "2g",
        "--jars",
        jars,
        *[arg for key, value in DELTA_CONF.items() for arg in ("--conf", f"{key}={value}")],
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        "spark.ui.showConsoleProgress=false",
        "--conf",  # keep ./spark-warehouse out of the repository
        f"spark.sql.warehouse.dir={root / 'spark-warehouse'}",
        "jobs/run.py",
        "--set",
        f"lakehouse.root={root / 'lakehouse'}",
        "--set",
        f"mlflow.tracking_uri=sqlite:///{root / 'mlruns.db'}",
        "--set",
        f"mlflow.artifact_location={root / 'mlartifacts'}",
        # spark.conf keys contain dots: set them as one YAML mapping, merged into spark.conf.
        "--set",
        "spark.conf={spark.sql.shuffle.partitions: 2, spark.default.parallelism: 2}",
        "--set",
        f"pipeline={pipeline}",
        *[arg for o in overrides for arg in ("--set", o)],
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MLFLOW_TRACKING_URI", "PYSPARK_SUBMIT_ARGS", "PYSPARK_DRIVER_PYTHON_OPTS")
    }
    # The pip install's own Spark, and the job's Python (driver and workers) = this venv.
    env.update(
        SPARK_HOME=str(SPARK_HOME), PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable
    )
    proc = subprocess.run(
        cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=SUBMIT_TIMEOUT_S
    )
    return Submitted(proc.returncode, proc.stdout, proc.stderr)


def tables_at(spark: SparkSession, root: Path) -> Tables:
    return Tables(spark, LakehouseSettings(root=str(root / "lakehouse")))


@pytest.mark.slow
def test_spark_submit_run_publishes_then_rerun_is_a_noop(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    first = spark_submit(tmp_path)
    assert first.returncode == 0, first.explain()
    ingest = INGEST_LINE.search(first.stdout)
    assert ingest, first.explain()
    read, ingested, quarantined = map(int, ingest.groups())
    assert read > 0 and ingested > 0 and read == ingested + quarantined
    audit = AUDIT_LINE.search(first.stdout)
    assert audit and audit[3] == "passed" and audit[4] == "True", first.explain()
    gold_before, gold_after = first.versions()["gold_documents"]
    assert gold_before is None and gold_after is not None, first.explain()

    second = spark_submit(tmp_path)
    assert second.returncode == 0, second.explain()
    again = INGEST_LINE.search(second.stdout)
    assert again and again.groups() == ("0", "0", "0"), second.explain()
    assert "published=True" not in second.stdout, second.explain()
    versions = second.versions()
    assert versions["gold_documents"] == (gold_after, gold_after), second.explain()
    # Nothing at all was committed by the rerun (no "*" marks, before == after everywhere).
    unchanged = {name: (after, after) for name, (_, after) in first.versions().items()}
    assert versions == unchanged, second.explain()

    # Started only now, so the JVMs above do not overlap with this one unless the session already had it.
    tables = tables_at(request.getfixturevalue("spark"), tmp_path)
    assert tables.current_version("gold_documents") == gold_after
    assert tables.read("bronze_documents").count() == ingested
    assert tables.read("bronze_quarantine").count() == quarantined
    assert tables.read("gold_documents").count() == tables.read("silver_documents").count() > 0


@pytest.mark.slow
def test_spark_submit_blocked_audit_exits_2_without_gold(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    suite = tmp_path / "impossible.yaml"
    suite.write_text(IMPOSSIBLE_SUITE, encoding="utf-8")
    # One small source keeps this run short; the audit gate is what is under test.
    pages = "ingest.sources=[{name: pages, path: data/sample/landing/pages, format: text, text_mode: file}]"
    result = spark_submit(tmp_path, f"audit.suite={suite}", pages)
    assert result.returncode == 2, result.explain()
    assert "AUDIT_FAILED" in result.stdout, result.explain()
    assert "gold.documents was NOT published" in result.stdout, result.explain()
    assert result.versions()["gold_documents"] == (None, None), result.explain()
    # Curate ran; only the publish was blocked.
    assert result.versions()["silver_documents"][1] is not None, result.explain()

    tables = tables_at(request.getfixturevalue("spark"), tmp_path)
    assert not tables.exists("gold_documents")
    assert tables.read("ops_dq_results").where("constraint_status != 'Success'").count() == 1
