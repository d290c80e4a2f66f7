"""Bad configuration and bad CLI input: one ``error:`` line on stderr, exit 1, never a stack trace.

Most cases run in process (Typer's CliRunner); the ones that need Spark adopt the test session. Two
runs go through the installed ``dq-engine`` script: one fails before Spark starts, one after the CLI
has started its own JVM (Spark's console log must not reach the terminal either).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, lakehouse_overrides
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from dq_engine.cli import app

runner = CliRunner()
CONF = ["--conf-dir", str(REPO_ROOT / "conf")]
SCRIPT = Path(sys.executable).parent / "dq-engine"


def _sets(root: Path) -> list[str]:
    return [arg for item in lakehouse_overrides(root) for arg in ("--set", item)]


def _one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "\tat " not in stderr, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


def _fails(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    return _one_error_line(result.stderr)


# --- no Spark needed -------------------------------------------------------------------------


def test_unknown_config_key_via_set() -> None:
    line = _fails(["ingest", *CONF, "--set", "lakehouse.rooot=/tmp/x"])
    assert "--set lakehouse.rooot=/tmp/x" in line and "Extra inputs are not permitted" in line


def test_unknown_config_keys_in_a_yaml_file_are_all_named(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    shutil.copytree(REPO_ROOT / "conf", conf)
    base = yaml.safe_load((conf / "base.yaml").read_text(encoding="utf-8"))
    base["ingest"]["max_txt_chars"] = 5
    base["lakehouse"]["rooot"] = "x"
    (conf / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    line = _fails(["run", "--conf-dir", str(conf)])
    assert f"{conf / 'base.yaml'}: ingest.max_txt_chars" in line
    assert f"{conf / 'base.yaml'}: lakehouse.rooot" in line


def test_missing_conf_dir(tmp_path: Path) -> None:
    line = _fails(["ingest", "--conf-dir", str(tmp_path / "nope")])
    assert line == f"error: --conf-dir {tmp_path / 'nope'}: no such directory"


@pytest.mark.parametrize(
    "args",
    [["history", "no_such_table"], ["restore", "no_such_table", "--version", "0"], ["show", "golden"]],
)
def test_unknown_table_is_refused_before_spark_starts(args: list[str]) -> None:
    line = _fails([*args, *CONF])
    assert "unknown table" in line and "gold_documents" in line  # names the known ones


def test_unknown_stage_name(tmp_path: Path) -> None:
    docs = tmp_path / "d.jsonl"
    docs.write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    line = _fails(
        ["apply-stage", "lenght_filter", "--input", str(docs), "--output", str(tmp_path / "o"), *CONF]
    )
    assert "unknown stage or pipeline 'lenght_filter'" in line and "length_filter" in line


def test_missing_apply_stage_input(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    line = _fails(
        ["apply-stage", "length_filter", "--input", str(missing), "--output", str(tmp_path / "o"), *CONF]
    )
    assert line == f"error: --input {missing}: no such file or directory"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["restore", "gold_documents"], "Missing option '--version'"),
        (["restore", "gold_documents", "--version", "two"], "Invalid value for '--version'"),
        (["no-such-command"], "No such command 'no-such-command'"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], expected: str) -> None:
    assert expected in _fails(args)


def test_verbose_prints_the_trace(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", *CONF, "--set", "lakehouse.rooot=x", "--verbose"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: invalid configuration")


def test_installed_script_without_spark(tmp_path: Path) -> None:
    """The console script itself: one line, exit 1, for an error found before any JVM starts."""
    missing = tmp_path / "missing.parquet"
    proc = subprocess.run(
        [
            str(SCRIPT),
            "apply-stage",
            "length_filter",
            "--input",
            str(missing),
            "--output",
            str(tmp_path / "o"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DQ_ENGINE_LOG_DIR": str(tmp_path / "logs")},
    )
    assert proc.returncode == 1, proc.stderr
    assert _one_error_line(proc.stderr) == f"error: --input {missing}: no such file or directory"


# --- with Spark (the CLI adopts the test session) ---------------------------------------------


@pytest.fixture()
def lakehouse(spark: SparkSession, tmp_path: Path) -> Path:
    """A scratch lakehouse holding an empty gold_documents (version 0) and bronze_documents."""
    from dq_engine.config import LakehouseSettings
    from dq_engine.ingest.records import BRONZE_SCHEMA
    from dq_engine.versioning import Tables

    tables = Tables(spark, LakehouseSettings(root=str(tmp_path / "lakehouse")))
    tables.ensure("gold_documents", BRONZE_SCHEMA)
    tables.ensure("bronze_documents", BRONZE_SCHEMA)
    return tmp_path


def test_restore_to_a_version_that_does_not_exist(lakehouse: Path) -> None:
    line = _fails(["restore", "gold_documents", "--version", "7", *CONF, *_sets(lakehouse)])
    assert line == "error: table 'gold_documents' has versions 0..0, not 7"


def test_table_that_was_never_written(lakehouse: Path) -> None:
    line = _fails(["history", "silver_documents", *CONF, *_sets(lakehouse)])
    assert line.startswith("error: table silver_documents does not exist at ")


def test_apply_stage_input_without_the_text_column(spark: SparkSession, tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": 1, "body": "no text column here"}\n', encoding="utf-8")
    line = _fails(
        ["apply-stage", "length_filter", "--input", str(docs), "--output", str(tmp_path / "o"), *CONF]
    )
    assert "missing column(s) ['text']" in line and "body" in line
    assert "no text column here" not in line  # names columns, never document text


def test_spark_analysis_error_is_cut_to_its_first_line(lakehouse: Path) -> None:
    args = ["show", "bronze_documents", "--where", "no_such_column = 1", *CONF, *_sets(lakehouse)]
    line = _fails(args)
    assert "UNRESOLVED_COLUMN" in line and "no_such_column" in line


def test_unexpected_error_names_its_type_and_keeps_the_trace_in_a_log(
    lakehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JVM error nobody anticipated (a corrupt Deequ metric history): type + message, trace in a log."""
    logs = lakehouse / "logs"
    monkeypatch.setenv("DQ_ENGINE_LOG_DIR", str(logs))
    history = lakehouse / "lakehouse" / "ops" / "deequ_metrics" / "silver_documents.json"
    history.parent.mkdir(parents=True)
    history.write_text("{ this is not a metric history", encoding="utf-8")
    line = _fails(["metrics", "--table", "silver_documents", *CONF, *_sets(lakehouse)])
    assert line.startswith("error: Py4JJavaError: com.google.gson.JsonSyntaxException: ")
    log_files = list(logs.glob("dq-engine-*.log"))
    assert len(log_files) == 1 and str(log_files[0]) in line
    trace = log_files[0].read_text(encoding="utf-8")
    assert "Traceback" in trace and "Py4JJavaError" in trace


def test_installed_script_with_its_own_jvm(lakehouse: Path) -> None:
    """The console script starting its own JVM: Spark's console log goes to the log file, not stderr."""
    logs = lakehouse / "logs"
    history = lakehouse / "lakehouse" / "ops" / "deequ_metrics" / "silver_documents.json"
    history.parent.mkdir(parents=True)
    history.write_text("{ this is not a metric history", encoding="utf-8")
    # A small local session for the subprocess; its own JVM, not the test session's.
    spark_conf = ["--set", "spark.master=local[1]", "--set", "spark.conf.spark.driver.memory=512m"]
    proc = subprocess.run(
        [str(SCRIPT), "metrics", "--table", "silver_documents", *CONF, *_sets(lakehouse), *spark_conf],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DQ_ENGINE_LOG_DIR": str(logs)},
    )
    assert proc.returncode == 1, proc.stderr
    line = _one_error_line(proc.stderr)
    assert line.startswith("error: Py4JJavaError: ")
    log_file = next(logs.glob("dq-engine-*.log"))
    assert str(log_file) in line
    text = log_file.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" in text  # the Python trace
    assert "WARN" in text or "ERROR" in text  # the JVM's console log landed here, not on stderr
