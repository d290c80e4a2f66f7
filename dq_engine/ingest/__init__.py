"""Landing files -> ``bronze.documents`` + ``bronze.quarantine``, incrementally and exactly once."""

from dq_engine.ingest.job import IngestAccountingError, IngestResult, SourceIngestResult, run_ingest
from dq_engine.ingest.readers import FILE_REASONS, SourceError, SourceReader
from dq_engine.ingest.records import REASONS, classify_records

__all__ = [
    "FILE_REASONS",
    "REASONS",
    "IngestAccountingError",
    "IngestResult",
    "SourceError",
    "SourceIngestResult",
    "SourceReader",
    "classify_records",
    "run_ingest",
]
