"""Configuration models and the YAML loader."""

from dq_engine.config.loader import ConfigError, load_config, load_pipeline, suite_path
from dq_engine.config.models import (
    AppConfig,
    IngestSettings,
    LakehouseSettings,
    MlflowSettings,
    PipelineSettings,
    SourceSettings,
    SparkSettings,
    StageSpec,
    TableLocation,
)

__all__ = [
    "AppConfig",
    "ConfigError",
    "IngestSettings",
    "LakehouseSettings",
    "MlflowSettings",
    "PipelineSettings",
    "SourceSettings",
    "SparkSettings",
    "StageSpec",
    "TableLocation",
    "load_config",
    "load_pipeline",
    "suite_path",
]
