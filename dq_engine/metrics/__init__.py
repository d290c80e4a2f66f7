"""Run metrics: the MLflow sink and the run summary."""

from dq_engine.metrics.mlflow_sink import MlflowSink, flatten, mlflow_run

__all__ = ["MlflowSink", "flatten", "mlflow_run"]
