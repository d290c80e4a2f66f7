"""Config loading: overlays, --set overrides, and errors that name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT

from dq_engine.config import ConfigError, load_config, load_pipeline


def _conf(tmp_path: Path, base: str, local: str = "") -> Path:
    (tmp_path / "env").mkdir(parents=True)
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "env" / "local.yaml").write_text(local, encoding="utf-8")
    return tmp_path


def test_repo_config_is_valid() -> None:
    config = load_config(REPO_ROOT / "conf")
    assert config.env == "local"
    assert config.spark.master == "local[*]"  # env overlay wins over base
    assert {s.name for s in config.ingest.sources} == {
        "web",
        "forum",
        "tickets",
        "pages",
        "synthetic",
        "exports",
    }
    assert config.spark.conf["spark.ui.enabled"] == "false"  # YAML booleans become Spark strings
    assert load_pipeline(config).name == "default"


def test_set_overrides_win_and_parse_yaml_values() -> None:
    config = load_config(
        REPO_ROOT / "conf",
        overrides=[
            "lakehouse.root=/tmp/x",
            "ingest.max_text_chars=10",
            "mlflow.enabled=false",
            "ingest.sources=[]",
        ],
    )
    assert config.lakehouse.root == "/tmp/x"
    assert config.ingest.max_text_chars == 10
    assert config.mlflow.enabled is False
    assert config.ingest.sources == []


def test_unknown_key_names_the_file_that_set_it(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "env: local\n", "lakehouse:\n  roott: x\n")
    with pytest.raises(ConfigError) as err:
        load_config(conf)
    assert "env/local.yaml: lakehouse.roott: Extra inputs are not permitted" in str(err.value)


def test_bad_value_from_set_names_the_override(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "env: local\n")
    with pytest.raises(ConfigError, match=r"--set ingest.max_text_chars=-1: ingest.max_text_chars"):
        load_config(conf, overrides=["ingest.max_text_chars=-1"])


def test_bad_source_format_names_base_file(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "ingest:\n  sources:\n    - {name: a, path: x, format: xml}\n")
    with pytest.raises(ConfigError, match=r"base.yaml: ingest.sources.0.format"):
        load_config(conf)


def test_missing_env_overlay_is_an_error(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "env: local\n")
    with pytest.raises(ConfigError, match="environment 'prod' has no overlay file"):
        load_config(conf, env="prod")


def test_pipeline_errors_name_the_pipeline_file(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "env: local\npipeline: p\n")
    (conf / "pipelines").mkdir()
    (conf / "pipelines" / "p.yaml").write_text("stages:\n  - stage: x\n    parms: {}\n", encoding="utf-8")
    config = load_config(conf)
    with pytest.raises(ConfigError, match=r"pipelines/p.yaml: stages.0.parms"):
        load_pipeline(config)


def test_dotted_spark_conf_keys_stay_whole() -> None:
    config = load_config(REPO_ROOT / "conf", overrides=["spark.conf.spark.sql.shuffle.partitions=7"])
    assert config.spark.conf["spark.sql.shuffle.partitions"] == "7"
    assert "spark" not in config.spark.conf


def test_nested_spark_conf_is_rejected(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "spark:\n  conf:\n    spark:\n      sql: {x: 1}\n")
    with pytest.raises(ConfigError, match="Spark conf values must be scalars"):
        load_config(conf)
