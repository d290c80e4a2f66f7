"""Typed configuration. Every model forbids unknown keys, so a typo fails loudly at load time."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SourceFormat = Literal["jsonl", "json", "parquet", "text", "csv"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SparkSettings(StrictModel):
    """How to get a SparkSession (see :mod:`dq_engine.spark.session`)."""

    app_name: str = "dq-engine"
    master: str | None = "local[*]"
    adopt_active: bool = True
    jars_dir: str | None = None
    conf: dict[str, str] = Field(default_factory=dict)

    @field_validator("conf", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            nested = sorted(str(k) for k, v in value.items() if isinstance(v, dict | list))
            if nested:
                raise ValueError(
                    f"Spark conf values must be scalars; quote dotted keys instead of nesting: {nested}"
                )
            return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}
        return value


class TableLocation(StrictModel):
    """A Delta table, by storage path (``path``) or by metastore/Unity Catalog name (``name``)."""

    path: str | None = None
    name: str | None = None


class LeaseSettings(StrictModel):
    """The one-writer lease on the lakehouse (:mod:`dq_engine.versioning.lease`)."""

    enabled: bool = True
    #: a holder that stops renewing (lost machine) is taken over this long after its last renewal
    ttl_seconds: float = Field(default=600.0, gt=0)
    #: how often a holder renews; must be well under ttl_seconds
    heartbeat_seconds: float = Field(default=60.0, ge=0)
    #: how long a run waits for a live holder before failing (0: fail at once, naming the holder)
    wait_seconds: float = Field(default=0.0, ge=0)
    poll_seconds: float = Field(default=10.0, gt=0)

    @field_validator("heartbeat_seconds")
    @classmethod
    def _under_ttl(cls, value: float, info: Any) -> float:
        ttl = info.data.get("ttl_seconds")
        if ttl is not None and value >= ttl:
            raise ValueError(f"heartbeat_seconds ({value}) must be below ttl_seconds ({ttl})")
        return value


class LakehouseSettings(StrictModel):
    """Where the tables live. Relative paths resolve against the working directory."""

    root: str = "lakehouse"
    checkpoints: str | None = None
    tables: dict[str, TableLocation] = Field(default_factory=dict)
    lease: LeaseSettings = Field(default_factory=LeaseSettings)


class SourceSettings(StrictModel):
    """One landing folder read by one checkpointed stream."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    path: str
    format: SourceFormat
    text_field: str = "text"
    id_field: str | None = None
    text_mode: Literal["line", "file"] = "line"
    glob: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    max_files_per_trigger: int | None = Field(default=None, ge=1)


class IngestSettings(StrictModel):
    """Ingest limits and the sources to read."""

    max_text_chars: int = Field(default=1_000_000, ge=1)
    quarantine_payload_chars: int = Field(default=4096, ge=0)
    #: line formats: a longer line is skipped unread and quarantined as record_too_large (Hadoop's
    #: line reader takes an int; a line is one JVM string, so the ceiling is far below 2 GB)
    max_line_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    #: whole-file formats (json, text_mode: file): a larger file is quarantined as file_too_large
    max_file_bytes: int = Field(default=256 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    #: a micro-batch takes about this many bytes of landing files (a source's max_files_per_trigger
    #: wins); null: every new file in one micro-batch. Bounds the batch ingest persists and the size
    #: of each bronze version, which curate's chunks are made of.
    max_bytes_per_trigger: int | None = Field(default=256 * 1024 * 1024, ge=1024)
    sources: list[SourceSettings] = Field(default_factory=list)

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[SourceSettings]) -> list[SourceSettings]:
        names = [s.name for s in sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique, repeated: {dupes}")
        return sources


class CurateSettings(StrictModel):
    """How curate splits a backlog of bronze versions."""

    #: a chunk takes bronze versions until it holds about this many rows (a single larger version is
    #: a chunk of its own); each chunk is committed, with its own ``ops.runs`` row, before the next
    max_rows_per_chunk: int = Field(default=200_000, ge=1)


class StageSpec(StrictModel):
    """One stage of a pipeline: a registry name and its parameters (validated by the stage)."""

    stage: str
    name: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class PipelineSettings(StrictModel):
    """An ordered list of stages, from ``conf/pipelines/<name>.yaml``."""

    name: str
    description: str = ""
    stages: list[StageSpec]


class MlflowSettings(StrictModel):
    """Where runs are recorded. A null ``tracking_uri`` lets MLflow use ``MLFLOW_TRACKING_URI``."""

    enabled: bool = True
    tracking_uri: str | None = "sqlite:///mlruns.db"
    artifact_location: str | None = "mlartifacts"
    experiment: str = "dq-engine"


class AuditSettings(StrictModel):
    """Which Deequ suite gates publishing."""

    suite: str = "silver_documents"
    enabled: bool = True


class AppConfig(StrictModel):
    """The resolved configuration of one job."""

    env: str = "local"
    conf_dir: str = "conf"
    spark: SparkSettings = Field(default_factory=SparkSettings)
    lakehouse: LakehouseSettings = Field(default_factory=LakehouseSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    curate: CurateSettings = Field(default_factory=CurateSettings)
    pipeline: str = "default"
    audit: AuditSettings = Field(default_factory=AuditSettings)
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings)
