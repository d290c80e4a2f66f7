"""The driver JVM's class-data-sharing archive (dq_engine/spark/cds.py): wired in, optional, never fatal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from pyspark.sql import SparkSession

from dq_engine.spark.cds import ARCHIVE_NAME, CDS_ENV, archive_path, driver_java_options
from dq_engine.spark.session import _add_class_archive

KEY = "spark.driver.extraJavaOptions"


def test_options_only_with_an_archive_and_not_when_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CDS_ENV, raising=False)
    assert driver_java_options(tmp_path) is None
    (tmp_path / ARCHIVE_NAME).write_bytes(b"x")
    options = driver_java_options(tmp_path)
    assert options is not None
    assert f"-XX:SharedArchiveFile={tmp_path / ARCHIVE_NAME}" in options and "-Xshare:auto" in options
    monkeypatch.setenv(CDS_ENV, "0")
    assert driver_java_options(tmp_path) is None


def test_a_users_java_options_are_kept_and_a_training_run_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CDS_ENV, raising=False)
    (tmp_path / ARCHIVE_NAME).write_bytes(b"x")
    conf = {KEY: "-Dmy.flag=1"}
    _add_class_archive(conf, str(tmp_path))
    assert conf[KEY].startswith("-Dmy.flag=1 -XX:SharedArchiveFile=")
    training = {KEY: "-XX:ArchiveClassesAtExit=/tmp/x.jsa"}
    _add_class_archive(training, str(tmp_path))
    assert training == {KEY: "-XX:ArchiveClassesAtExit=/tmp/x.jsa"}


def test_the_test_session_maps_the_archive_that_make_setup_trained(spark: SparkSession) -> None:
    archive = archive_path(REPO_ROOT / "jars")
    if not archive.is_file():
        pytest.skip(f"no {archive}: `make cds` (part of `make setup`) trains it")
    options = spark.sparkContext.getConf().get(KEY) or ""
    assert f"-XX:SharedArchiveFile={archive}" in options
    jvm_args = (
        spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )  # type: ignore[union-attr]
    assert any(f"-XX:SharedArchiveFile={archive}" in str(a) for a in jvm_args)


def _session_output(conf: dict[str, str], jars_dir: Path) -> subprocess.CompletedProcess[str]:
    script = (
        "from dq_engine.spark.session import build_session\n"
        f"s = build_session(master='local[1]', jars_dir={str(jars_dir)!r}, adopt_active=False,"
        f" conf={conf!r})\n"
        "print('rows', s.range(3).count())\n"
        "s.stop()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != CDS_ENV}
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.mark.slow
def test_a_stale_archive_costs_nothing_but_the_gain() -> None:
    jars = REPO_ROOT / "jars"
    archive = archive_path(jars)
    if not archive.is_file():
        pytest.skip(f"no {archive}: `make cds` (part of `make setup`) trains it")
    # Another driver class path than the archive was trained with: the JVM refuses the archive.
    conf = {"spark.ui.enabled": "false", "spark.driver.extraClassPath": str(sorted(jars.glob("*.jar"))[0])}
    raw = _session_output({**conf, KEY: f"-XX:SharedArchiveFile={archive}"}, jars)
    assert raw.returncode == 0 and "rows 3" in raw.stdout, raw.stderr[-3000:]
    # the JVM's own log line (stdout) without our options, so the check below can fail
    assert "[cds" in raw.stdout + raw.stderr
    ours = _session_output(conf, jars)  # build_session adds the archive with its options
    assert ours.returncode == 0 and "rows 3" in ours.stdout, ours.stderr[-3000:]
    assert "[cds" not in ours.stdout + ours.stderr
