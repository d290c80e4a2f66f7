"""The job scripts under Glue 5's calling convention and under plain spark-submit arguments.

AWS's own Glue Python library (``awsgluedataplanepython``, the ``awsglue`` package) is installed by the
dev extra, so ``getResolvedOptions`` parses the Glue arguments for real. Its JVM side (the
``com.amazonaws.services.glue`` classes) exists only on Glue, so ``GlueContext`` cannot be built here:
the tests assert that the job noticed, said so, and ran on the plain SparkSession.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, lakehouse_overrides
from pyspark.sql import SparkSession

from dq_engine.config import LakehouseSettings
from dq_engine.entrypoint import launch, main, split_overrides
from dq_engine.versioning import Tables

PAGES = "ingest.sources=[{name: pages, path: data/sample/landing/pages, format: text, text_mode: file}]"
PAGES_FILES = len(list((REPO_ROOT / "data/sample/landing/pages").glob("*.txt")))  # one document each


@pytest.fixture(scope="module")
def conf_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """conf/ as Glue gets it: one zip shipped with --extra-files (a top ``conf/`` folder inside)."""
    out = tmp_path_factory.mktemp("confzip") / "dq_engine_conf"
    return Path(shutil.make_archive(str(out), "zip", root_dir=REPO_ROOT, base_dir="conf"))


def _glue_argv(root: Path, conf: Path, job_name: str = "dq-engine-ingest") -> list[str]:
    # What Glue 5 passes: reserved arguments first, then the job parameters (each key once).
    return [
        "jobs/ingest.py",
        "--JOB_NAME", job_name,
        "--JOB_ID", "j_0123",
        "--JOB_RUN_ID", "jr_4567",
        "--job-bookmark-option", "job-bookmark-disable",
        "--TempDir", str(root / "glue-tmp"),
        "--enable-glue-datacatalog", "true",
        "--conf-path", str(conf),
        "--set", ";".join([*lakehouse_overrides(root), PAGES]),
    ]  # fmt: skip


def test_overrides_split_on_semicolons() -> None:
    assert split_overrides(["a=1;b=[x, y]", " c=3 ;", "d=4"]) == ["a=1", "b=[x, y]", "c=3", "d=4"]


def test_glue_convention_resolves_arguments_and_falls_back_to_the_plain_session(
    spark: SparkSession, tmp_path: Path, conf_zip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)  # relative sample paths, as Glue runs from the script's folder
    launched = launch(_glue_argv(tmp_path, conf_zip), job="ingest")
    assert launched.platform == "glue" and launched.glue_job_name == "dq-engine-ingest"
    # awsglue is real here, Glue's JVM is not: the job must say which path ran.
    assert launched.glue_context is False
    assert launched.glue_fallback_reason and "com.amazonaws.services.glue" in launched.glue_fallback_reason
    assert launched.report is not None and launched.report.exit_code == 0
    bronze = Tables(spark, LakehouseSettings(root=str(tmp_path / "lakehouse"))).read("bronze_documents")
    assert bronze.count() == PAGES_FILES
    assert {r.source for r in bronze.select("source").distinct().collect()} == {"pages"}


def test_plain_convention_uses_no_glue(spark: SparkSession, tmp_path: Path, conf_zip: Path) -> None:
    argv = ["jobs/run_pipeline.py", "ingest", "--conf-dir", str(REPO_ROOT / "conf")]
    argv += [arg for o in [*lakehouse_overrides(tmp_path), PAGES.replace("data/", f"{REPO_ROOT}/data/")]
             for arg in ("--set", o)]  # fmt: skip
    launched = launch(argv)
    assert launched.platform == "spark" and launched.glue_job_name is None
    assert launched.report is not None and launched.report.exit_code == 0
    bronze = Tables(spark, LakehouseSettings(root=str(tmp_path / "lakehouse"))).read("bronze_documents")
    assert bronze.count() == PAGES_FILES


def test_bad_arguments_are_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["jobs/run_pipeline.py", "publish"], "invalid choice: 'publish'"),
        (["jobs/run.py", "--conf-path", str(tmp_path / "nope")], "neither a folder nor a zip"),
        (["jobs/run.py", "--conf-path", str(REPO_ROOT / "conf"), "--set", "lakehouse.rooot=x"], "rooot"),
    ]
    for argv, expected in cases:
        assert main(argv, job=None if argv[0].endswith("run_pipeline.py") else "run") == 1
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
