"""Stage and filter contracts, the registry, the pipeline runner and shared column names."""

from dq_engine.core.context import RunContext, new_run_id
from dq_engine.core.pipeline import Decision, Pipeline, PipelineError
from dq_engine.core.registry import create_stage, register, registered_stages
from dq_engine.core.stage import Filter, NoParams, Stage, StageError

__all__ = [
    "Decision",
    "Filter",
    "NoParams",
    "Pipeline",
    "PipelineError",
    "RunContext",
    "Stage",
    "StageError",
    "create_stage",
    "new_run_id",
    "register",
    "registered_stages",
]
