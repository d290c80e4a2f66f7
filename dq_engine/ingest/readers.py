"""Streaming readers: one per landing format, each turned into the same raw-record shape.

Every reader yields one row per *input record* with these columns, so quarantine and accounting work
the same for every format:

- ``source_uri``  file the record came from
- ``record_pos``  position key inside the file when the format has one (array index, file), else null
- ``payload``     the raw record as text (line, CSV row, JSON element, or JSON of a Parquet row)
- ``payload_ok``  false when the raw bytes are not valid UTF-8
- ``parsed``      ``map<string,string>`` of the record's fields, null when it could not be parsed
- ``parse_error`` ``malformed_json`` / ``malformed_csv`` / null

Nested JSON values land in ``parsed`` as their JSON text, so ``meta`` keeps them losslessly.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from dq_engine.config.models import SourceSettings

CORRUPT = "_corrupt_record"


class SourceError(ValueError):
    """A source cannot be read as configured (missing folder, no schema to infer)."""


def _utf8_ok(col: Column) -> Column:
    # A string holding invalid UTF-8 bytes decodes with U+FFFD replacements, so re-encoding it differs
    # from its raw bytes. Pure SQL, no Python UDF, and works on Spark 3.5 (no is_valid_utf8 there).
    return F.encode(col, "UTF-8") == col.cast("binary")


def _file_path() -> Column:
    return F.col("_metadata.file_path")


def _stream_reader(spark: SparkSession, source: SourceSettings, fmt: str):  # type: ignore[no-untyped-def]
    reader = spark.readStream.format(fmt)
    if source.glob:
        reader = reader.option("pathGlobFilter", source.glob)
    if source.max_files_per_trigger:
        reader = reader.option("maxFilesPerTrigger", source.max_files_per_trigger)
    return reader.options(**source.options)


def _static_schema(spark: SparkSession, source: SourceSettings, fmt: str, **options: str) -> StructType:
    reader = spark.read.format(fmt).options(**options).options(**source.options)
    if source.glob:
        reader = reader.option("pathGlobFilter", source.glob)
    try:
        return reader.load(source.path).schema
    except Exception as exc:  # noqa: BLE001 - re-raised with the source named
        raise SourceError(f"source {source.name!r}: cannot infer schema from {source.path}: {exc}") from exc


def _json_lines(spark: SparkSession, source: SourceSettings) -> DataFrame:
    raw = _stream_reader(spark, source, "text").load(source.path)
    # from_json accepts an object followed by trailing garbage; one object per line means the line
    # starts with "{" and ends with "}".
    one_object = F.col("value").rlike("(?s)^\\s*\\{.*\\}\\s*$")
    parsed = F.when(one_object, F.from_json(F.col("value"), "map<string,string>"))
    return raw.select(
        _file_path().alias("source_uri"),
        F.lit(None).cast("string").alias("record_pos"),
        F.col("value").alias("payload"),
        _utf8_ok(F.col("value")).alias("payload_ok"),
        parsed.alias("parsed"),
        F.when(parsed.isNull(), F.lit("malformed_json")).alias("parse_error"),
    )


def _json_documents(spark: SparkSession, source: SourceSettings) -> DataFrame:
    """Whole-file JSON: an array of objects (one record each) or a single object (one record)."""
    raw = _stream_reader(spark, source, "text").option("wholetext", "true").load(source.path)
    as_array = F.from_json(F.col("value"), "array<map<string,string>>")
    as_object = F.from_json(F.col("value"), "map<string,string>")
    # A file that parses as neither yields one null element, so it still becomes one quarantined record.
    elements = F.coalesce(as_array, F.when(as_object.isNotNull(), F.array(as_object)), F.array(F.lit(None)))
    exploded = raw.select(
        _file_path().alias("source_uri"),
        F.col("value").alias("file_text"),
        F.posexplode(elements).alias("pos", "parsed"),
    )
    return exploded.select(
        "source_uri",
        F.col("pos").cast("string").alias("record_pos"),
        F.coalesce(F.to_json(F.col("parsed")), F.col("file_text")).alias("payload"),
        _utf8_ok(F.col("file_text")).alias("payload_ok"),
        "parsed",
        F.when(F.col("parsed").isNull(), F.lit("malformed_json")).alias("parse_error"),
    )


def _csv(spark: SparkSession, source: SourceSettings) -> DataFrame:
    options = {"header": "true", "multiLine": "true", "escape": '"'}
    header = _static_schema(spark, source, "csv", **options)
    fields = [f.name for f in header.fields if f.name != CORRUPT]
    schema = StructType([StructField(n, StringType()) for n in fields] + [StructField(CORRUPT, StringType())])
    raw = (
        _stream_reader(spark, source, "csv")
        .options(**options)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT)
        .schema(schema)
        .load(source.path)
    )
    as_map = F.map_from_arrays(
        F.array(*[F.lit(n) for n in fields]), F.array(*[F.col(f"`{n}`") for n in fields])
    )
    corrupt = F.col(CORRUPT).isNotNull()
    return raw.select(
        _file_path().alias("source_uri"),
        F.lit(None).cast("string").alias("record_pos"),
        F.when(corrupt, F.col(CORRUPT))
        .otherwise(F.to_json(F.struct(*[F.col(f"`{n}`") for n in fields])))
        .alias("payload"),
        F.lit(True).alias("payload_ok"),
        F.when(corrupt, F.lit(None)).otherwise(as_map).alias("parsed"),
        F.when(corrupt, F.lit("malformed_csv")).alias("parse_error"),
    )


def _parquet(spark: SparkSession, source: SourceSettings) -> DataFrame:
    schema = _static_schema(spark, source, "parquet")
    raw = _stream_reader(spark, source, "parquet").schema(schema).load(source.path)
    names = [f.name for f in schema.fields]
    # Non-string columns become their JSON text; strings stay as they are.
    values = [
        F.col(f"`{f.name}`")
        if isinstance(f.dataType, StringType)
        else F.get_json_object(F.to_json(F.struct(F.col(f"`{f.name}`").alias("v"))), "$.v")
        for f in schema.fields
    ]
    string_cols = [F.col(f"`{f.name}`") for f in schema.fields if isinstance(f.dataType, StringType)]
    utf8 = F.lit(True)
    for col in string_cols:
        utf8 = utf8 & F.coalesce(_utf8_ok(col), F.lit(True))
    return raw.select(
        _file_path().alias("source_uri"),
        F.lit(None).cast("string").alias("record_pos"),
        F.to_json(F.struct(*[F.col(f"`{n}`") for n in names])).alias("payload"),
        utf8.alias("payload_ok"),
        F.map_from_arrays(F.array(*[F.lit(n) for n in names]), F.array(*values)).alias("parsed"),
        F.lit(None).cast("string").alias("parse_error"),
    )


def _text(spark: SparkSession, source: SourceSettings) -> DataFrame:
    reader = _stream_reader(spark, source, "text")
    whole_file = source.text_mode == "file"
    if whole_file:
        reader = reader.option("wholetext", "true")
    raw = reader.load(source.path)
    return raw.select(
        _file_path().alias("source_uri"),
        (F.lit("file") if whole_file else F.lit(None)).cast("string").alias("record_pos"),
        F.col("value").alias("payload"),
        _utf8_ok(F.col("value")).alias("payload_ok"),
        F.create_map(F.lit(source.text_field), F.col("value")).alias("parsed"),
        F.lit(None).cast("string").alias("parse_error"),
    )


_READERS = {"jsonl": _json_lines, "json": _json_documents, "csv": _csv, "parquet": _parquet, "text": _text}


def open_source_stream(spark: SparkSession, source: SourceSettings) -> DataFrame:
    """A streaming DataFrame of raw records (see module docstring) for one configured source."""
    return _READERS[source.format](spark, source)
