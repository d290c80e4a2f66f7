"""One MLflow run per job: params, metrics, tags and artifacts. Never receives document text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow

from dq_engine.config.models import MlflowSettings

MAX_PARAM_CHARS = 500


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists become JSON strings."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        elif isinstance(value, list | tuple):
            out[name] = json.dumps(value, default=str, sort_keys=True)
        else:
            out[name] = value
    return out


class MlflowSink:
    """Thin wrapper over an active MLflow run; a disabled sink (``run`` None) records nothing.

    ``status`` is the status the run ends with when its block exits normally; a job that completes
    but must count as failed (a blocked publish) sets it to ``FAILED``.
    """

    def __init__(self, run: Any | None):
        self.run = run
        self.status = "FINISHED"

    @property
    def run_id(self) -> str | None:
        return None if self.run is None else str(self.run.info.run_id)

    @property
    def tracking_uri(self) -> str | None:
        return None if self.run is None else str(mlflow.get_tracking_uri())

    def log_params(self, params: Mapping[str, Any]) -> None:
        clean = {k: str(v)[:MAX_PARAM_CHARS] for k, v in flatten(params).items() if v is not None}
        if self.run is not None and clean:
            mlflow.log_params(clean)

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        clean = {_metric_key(k): float(v) for k, v in metrics.items() if v is not None}
        if self.run is not None and clean:
            mlflow.log_metrics(clean)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        if self.run is not None:
            mlflow.set_tags({k: str(v) for k, v in tags.items() if v is not None})

    def log_dict(self, data: Any, artifact_file: str) -> None:
        if self.run is not None:
            mlflow.log_dict(data, artifact_file)

    def log_text(self, text: str, artifact_file: str) -> None:
        if self.run is not None:
            mlflow.log_text(text, artifact_file)


def _metric_key(key: str) -> str:
    # MLflow keys allow alphanumerics, _ - . space / ; stage labels and reasons already fit that.
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in key)


def _resolve_uri(uri: str) -> str:
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(uri[len("sqlite:///") :]).resolve())
    return uri


@contextmanager
def mlflow_run(
    settings: MlflowSettings, run_name: str, tags: Mapping[str, Any] | None = None
) -> Iterator[MlflowSink]:
    """Start an MLflow run (or a no-op sink when disabled); FAILED status if the block raises."""
    if not settings.enabled:
        yield MlflowSink(None)
        return
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Not os.environ["MLFLOW_TRACKING_URI"] here: mlflow.set_tracking_uri writes that variable itself,
    # so it would pin every later run in this process to the first store. A null tracking_uri leaves
    # the choice to MLflow (which reads the variable when nothing was set).
    if settings.tracking_uri:
        mlflow.set_tracking_uri(_resolve_uri(settings.tracking_uri))
    experiment = mlflow.get_experiment_by_name(settings.experiment)
    if experiment is None:
        location = None
        if settings.artifact_location:
            location = (
                settings.artifact_location
                if "://" in settings.artifact_location
                else Path(settings.artifact_location).resolve().as_uri()
            )
        experiment_id = mlflow.create_experiment(settings.experiment, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    run = mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=dict(tags or {}))
    sink = MlflowSink(run)
    try:
        yield sink
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    else:
        mlflow.end_run(status=sink.status)
