"""Landing files -> ``bronze.documents`` + ``bronze.quarantine``, incrementally and exactly once."""

from dq_engine.ingest.job import IngestAccountingError, IngestResult, SourceIngestResult, run_ingest
from dq_engine.ingest.readers import SourceError, open_source_stream
from dq_engine.ingest.records import classify_records

__all__ = [
    "IngestAccountingError",
    "IngestResult",
    "SourceError",
    "SourceIngestResult",
    "classify_records",
    "open_source_stream",
    "run_ingest",
]
