"""Delta table locations, idempotent appends, incremental reads, history, time travel and restore."""

from dq_engine.versioning.runs import record_run, watermark
from dq_engine.versioning.tables import DEFAULT_LAYOUT, TableError, Tables

__all__ = ["DEFAULT_LAYOUT", "TableError", "Tables", "record_run", "watermark"]
