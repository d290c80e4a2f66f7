"""Raw records -> bronze documents or quarantine rows, with a stable ``doc_id``.

``doc_id`` is the first 128 bits of SHA-256 over the source name and a record key:

- the user's id (``id_field``) when the record has one: ``id:<value>``, stable across file moves;
- else the file plus the record's position when the format has one (JSON array index, whole file);
- else the file plus the SHA-256 of the raw record and its occurrence number among identical
  records in that file. Text lines carry no position in Spark's file source, and a content key is
  independent of how files are split into tasks, so reruns produce the same ids.

Quarantine reasons (:data:`REASONS`), first match wins:

- ``corrupt_archive`` / ``schema_mismatch`` / ``unreadable_file``: a whole file that could not be read
  (one record per file; see :mod:`dq_engine.ingest.job`);
- ``file_too_large``: a whole-file record over ``ingest.max_file_bytes``, not read;
  ``record_too_large``: the lines of one file over ``ingest.max_line_bytes``, skipped unread (one
  record per file; see :mod:`dq_engine.ingest.limits`);
- ``invalid_utf8``: the raw bytes are not valid UTF-8;
- ``malformed_json`` / ``malformed_csv``: the record does not parse (for JSON: not exactly one object,
  or nested deeper than the JSON parser's limit of 1,000 levels);
- ``text_not_string``: the text field is a number, boolean, list or object;
- ``missing_text``: the text field is absent, null, empty or whitespace only;
- ``oversize``: the text is longer than ``ingest.max_text_chars``;
- ``duplicate_id``: the ``doc_id`` was already seen in this batch or in bronze.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, MapType, StringType, StructField, StructType, TimestampType

from dq_engine.config.models import IngestSettings, SourceSettings
from dq_engine.core import columns as C
from dq_engine.ingest.readers import FILE_REASONS, LINE_FRAGMENT, RECORD_TOO_LARGE, SET_ASIDE_REASONS

REASON = "_reason"
#: Bytes of the raw record as read (lines: the line without its break); see dq_engine.ingest.limits.
PAYLOAD_BYTES = "_payload_bytes"

REASONS = (
    *FILE_REASONS,
    RECORD_TOO_LARGE,
    "invalid_utf8",
    "malformed_json",
    "malformed_csv",
    "text_not_string",
    "missing_text",
    "oversize",
    "duplicate_id",
)

BRONZE_SCHEMA = StructType(
    [
        StructField(C.DOC_ID, StringType()),
        StructField(C.TEXT, StringType()),
        StructField(C.SOURCE, StringType()),
        StructField(C.SOURCE_URI, StringType()),
        StructField(C.INGEST_RUN_ID, StringType()),
        StructField(C.INGESTED_AT, TimestampType()),
        StructField(C.META, MapType(StringType(), StringType())),
    ]
)
QUARANTINE_SCHEMA = StructType(
    [
        StructField("source", StringType()),
        StructField("source_uri", StringType()),
        StructField("reason", StringType()),
        StructField("record_id", StringType()),
        StructField(C.DOC_ID, StringType()),
        StructField("payload", StringType()),
        StructField("payload_chars", IntegerType()),
        StructField("payload_sha256", StringType()),
        StructField(C.INGEST_RUN_ID, StringType()),
        StructField("quarantined_at", TimestampType()),
    ]
)


def _is_blank(col: Column) -> Column:
    # trim() strips only spaces; a tab/newline-only text is just as empty.
    return col.rlike("^\\s*$")


def _blank_to_null(col: Column) -> Column:
    return F.when(_is_blank(col), F.lit(None)).otherwise(col)


def classify_records(
    raw: DataFrame,
    source: SourceSettings,
    settings: IngestSettings,
    run_id: str,
    existing_ids: DataFrame | None = None,
    batch_uris: Sequence[str] | None = None,
) -> DataFrame:
    """Give every raw record a ``doc_id`` and a quarantine reason (null = goes to bronze).

    :func:`keyed_records`, :func:`ids_seen_before` and :func:`classify_keyed` in one plan; the ingest
    job runs the three itself so it can persist the first two.

    Args:
        raw: a batch in the shape of :mod:`dq_engine.ingest.readers`.
        source: the source's settings (text and id fields).
        settings: ingest limits.
        run_id: this ingest run's id.
        existing_ids: bronze (``doc_id``, ``source``, ``source_uri``), to quarantine user ids that earlier
            batches ingested.
        batch_uris: the URIs of the batch's files as records spell them (from the listing); None
            takes them from ``raw``, which reads the batch once more.

    Returns:
        One row per raw record with the bronze columns plus ``_reason``, the quarantine payload
        columns (``payload`` truncated to ``quarantine_payload_chars``) and ``_payload_bytes``.
    """
    keyed = keyed_records(raw, source, settings)
    seen = None
    if existing_ids is not None and source.id_field:
        uris = batch_uris if batch_uris is not None else raw.select("source_uri").distinct()
        seen = ids_seen_before(keyed, source, existing_ids, uris)
    return classify_keyed(keyed, source, settings, run_id, seen)


def keyed_records(raw: DataFrame, source: SourceSettings, settings: IngestSettings) -> DataFrame:
    """``raw`` with ``doc_id``, the text, the user id (``record_id``), ``meta`` and ``_first_of_id``.

    ``_first_of_id`` is false for the second and later records of one user id in the batch (the first
    by file and payload hash is kept). This is the batch's one shuffle. The raw payload is replaced by
    what a quarantine row keeps of it (``quarantine_payload_chars``, its length and byte count), so a
    persisted batch never holds a record over that size twice.
    """
    parsed = F.col("parsed")
    text = parsed.getItem(source.text_field)
    user_id = (
        _blank_to_null(parsed.getItem(source.id_field)) if source.id_field else F.lit(None).cast("string")
    )
    payload_sha = F.sha2(F.col("payload").cast("binary"), 256)
    # The user's id stays in meta (lineage back to the source system); only the text moves out.
    meta = F.map_filter(parsed, lambda k, _v: k != source.text_field)

    # Re-encoding replaces invalid bytes with U+FFFD, so a quarantined payload is always valid text.
    clean_payload = F.decode(F.encode(F.col("payload"), "UTF-8"), "UTF-8")
    df = raw.select(
        "source_uri",
        "record_pos",
        F.substring(clean_payload, 1, settings.quarantine_payload_chars).alias("payload"),
        F.length(clean_payload).alias("payload_chars"),
        F.octet_length(F.col("payload")).cast("long").alias(PAYLOAD_BYTES),
        "payload_ok",
        "parse_error",
        text.alias(C.TEXT),
        user_id.alias("record_id"),
        payload_sha.alias("payload_sha256"),
        F.coalesce(meta, F.create_map().cast("map<string,string>")).alias(C.META),
    )
    # One shuffle numbers the rows that need it. Rows with a user id are grouped by that id (the first,
    # by file and payload hash, is kept; the rest are duplicate_id); rows without one by file and
    # payload hash (identical lines of a file get occurrences 0, 1, ... so each is its own record).
    has_id = F.col("record_id").isNotNull()
    group = F.when(has_id, F.concat(F.lit("id:"), F.col("record_id"))).otherwise(
        F.concat_ws("\u001f", F.col("source_uri"), F.col("payload_sha256"))
    )
    rank = F.row_number().over(Window.partitionBy(group).orderBy("source_uri", "payload_sha256"))
    df = df.withColumn("_rank", rank)
    key = (
        F.when(has_id, F.concat(F.lit("id:"), F.col("record_id")))
        .when(
            F.col("record_pos").isNotNull(), F.concat_ws("\u001f", F.col("source_uri"), F.col("record_pos"))
        )
        .otherwise(
            F.concat_ws(
                "\u001f", F.col("source_uri"), F.col("payload_sha256"), (F.col("_rank") - 1).cast("string")
            )
        )
    )
    df = df.withColumn(
        C.DOC_ID, F.substring(F.sha2(F.concat_ws("\u001f", F.lit(source.name), key), 256), 1, 32)
    )
    # Keys built from the file (position or occurrence) are unique, so only user ids can repeat.
    return df.withColumn("_first_of_id", ~has_id | (F.col("_rank") == 1)).drop("_rank")


def ids_seen_before(
    keyed: DataFrame,
    source: SourceSettings,
    existing_ids: DataFrame,
    batch_uris: Sequence[str] | DataFrame,
) -> DataFrame:
    """The ``doc_id`` of ``keyed``'s user-id records that bronze already holds from earlier batches.

    Only a user id can repeat an earlier batch's: file-based keys name this batch's files. A file
    belongs to exactly one micro-batch, so bronze rows from this batch's own files (``batch_uris``) can
    only be this batch, replayed after a crash that came between its two appends: not duplicates.

    Bronze is looked up with the batch's keys, never the other way round: one scan of bronze's id
    column (only this source's rows, so Delta skips other sources' files) semi-joined with the
    batch's keys, which adaptive execution broadcasts when they are small. Bronze's ids are not
    shuffled or aggregated, and the result (normally empty) is what meets the batch's rows.
    """
    if isinstance(batch_uris, DataFrame):
        batch_files = batch_uris
    else:
        batch_files = keyed.sparkSession.createDataFrame([(u,) for u in batch_uris], "source_uri string")
    earlier = (
        existing_ids.where(F.col(C.SOURCE) == source.name)
        .select(C.DOC_ID, C.SOURCE_URI)
        .join(F.broadcast(batch_files), C.SOURCE_URI, "left_anti")
    )
    keys = keyed.where(F.col("record_id").isNotNull()).select(C.DOC_ID)
    return earlier.select(C.DOC_ID).join(keys, C.DOC_ID, "left_semi").distinct()


def classify_keyed(
    keyed: DataFrame,
    source: SourceSettings,
    settings: IngestSettings,
    run_id: str,
    seen: DataFrame | None = None,
) -> DataFrame:
    """:func:`keyed_records` rows with their quarantine reason and output columns (see
    :func:`classify_records`); ``seen`` holds the ids :func:`ids_seen_before` found."""
    df = keyed
    seen_before = F.lit(False)
    if seen is not None:
        df = df.join(seen.withColumn("_seen", F.lit(True)), C.DOC_ID, "left")
        seen_before = F.coalesce(F.col("_seen"), F.lit(False))

    reason = (
        F.when(F.col("parse_error").isin(*SET_ASIDE_REASONS, LINE_FRAGMENT), F.col("parse_error"))
        .when(~F.col("payload_ok"), F.lit("invalid_utf8"))
        .when(F.col("parse_error").isNotNull(), F.col("parse_error"))
        .when(F.col(C.TEXT).isNull() | _is_blank(F.col(C.TEXT)), F.lit("missing_text"))
        .when(F.length(C.TEXT) > settings.max_text_chars, F.lit("oversize"))
        .when(~F.col("_first_of_id") | seen_before, F.lit("duplicate_id"))
    )
    return df.select(
        F.col(C.DOC_ID),
        F.col(C.TEXT),
        F.lit(source.name).alias(C.SOURCE),
        F.col("source_uri").alias(C.SOURCE_URI),
        F.lit(run_id).alias(C.INGEST_RUN_ID),
        F.current_timestamp().alias(C.INGESTED_AT),
        F.col(C.META),
        reason.alias(REASON),
        "record_id",
        "payload",
        "payload_chars",
        "payload_sha256",
        PAYLOAD_BYTES,
    )


def bronze_rows(classified: DataFrame) -> DataFrame:
    """The rows of a classified batch that go to ``bronze.documents``."""
    return classified.where(F.col(REASON).isNull()).select(*BRONZE_SCHEMA.fieldNames())


def quarantine_rows(classified: DataFrame) -> DataFrame:
    """The rows of a classified batch that go to ``bronze.quarantine`` (raw payload, reason).

    Line fragments are not records (see :data:`LINE_FRAGMENT`): their file gets one
    ``record_too_large`` row instead (:mod:`dq_engine.ingest.limits`).
    """
    return classified.where(F.col(REASON).isNotNull() & (F.col(REASON) != LINE_FRAGMENT)).select(
        C.SOURCE,
        C.SOURCE_URI,
        F.col(REASON).alias("reason"),
        "record_id",
        C.DOC_ID,
        "payload",
        "payload_chars",
        "payload_sha256",
        C.INGEST_RUN_ID,
        F.col(C.INGESTED_AT).alias("quarantined_at"),
    )
