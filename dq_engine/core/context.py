"""What a stage may know about the run it is part of."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pyspark.sql import SparkSession

from dq_engine.config.models import AppConfig
from dq_engine.versioning.tables import Tables


def new_run_id() -> str:
    """A sortable, unique run id: UTC timestamp plus a random suffix."""
    now = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{uuid.uuid4().hex[:8]}"


@dataclass
class RunContext:
    """The session, config, table locations and identity of one job run."""

    spark: SparkSession
    config: AppConfig
    tables: Tables
    run_id: str = field(default_factory=new_run_id)
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
