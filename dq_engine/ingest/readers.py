"""Landing files -> raw records: one reader per format, each giving the same raw-record shape.

A source is read in two steps. A checkpointed stream lists the landing folder (``binaryFile`` with the
content column pruned, so nothing is read): each micro-batch is a list of new files. The micro-batch's
files are then read with a batch read of the source's format (:meth:`SourceReader.read_files`). Knowing
the exact files of a batch is what lets the job set a file that cannot be read at all (a truncated
``.gz``/``.zst``, a Parquet file with a different schema) aside as one quarantined record instead of
failing the whole run (:meth:`SourceReader.unreadable_file_records`).

Every reader yields one row per *input record* with these columns (:data:`RAW_SCHEMA`), so quarantine
and accounting work the same for every format:

- ``source_uri``  file the record came from
- ``record_pos``  position key inside the file when the format has one (array index, file), else null
- ``payload``     the raw record as text (line, CSV row, JSON element, or JSON of a Parquet row)
- ``payload_ok``  false when the raw bytes are not valid UTF-8
- ``parsed``      ``map<string,string>`` of the record's fields, null when it could not be parsed
- ``parse_error`` a quarantine reason the reader already knows (``malformed_json``, ``malformed_csv``,
  ``text_not_string``, or a file-level reason), else null

Nested JSON values land in ``parsed`` as their JSON text, so ``meta`` keeps them losslessly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from urllib.parse import quote

from pyspark.sql import Column, DataFrame, DataFrameReader, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BinaryType,
    BooleanType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from dq_engine.config.models import SourceSettings
from dq_engine.ingest.checkpoint import landing_files, local_folder

CORRUPT = "_corrupt_record"

RAW_SCHEMA = StructType(
    [
        StructField("source_uri", StringType()),
        StructField("record_pos", StringType()),
        StructField("payload", StringType()),
        StructField("payload_ok", BooleanType()),
        StructField("parsed", MapType(StringType(), StringType())),
        StructField("parse_error", StringType()),
    ]
)

BINARY_FILE_SCHEMA = StructType(
    [
        StructField("path", StringType()),
        StructField("modificationTime", TimestampType()),
        StructField("length", LongType()),
        StructField("content", BinaryType()),
    ]
)

# File-level quarantine reasons: the whole file is one quarantined record.
CORRUPT_ARCHIVE = "corrupt_archive"  # a compressed file that does not decompress (truncated, corrupt)
SCHEMA_MISMATCH = "schema_mismatch"  # a column of the file cannot be read with the source's schema
UNREADABLE_FILE = "unreadable_file"  # not a file of the source's format at all (e.g. not Parquet)
FILE_TOO_LARGE = "file_too_large"  # a whole-file record over ingest.max_file_bytes (not read)
FILE_REASONS = (CORRUPT_ARCHIVE, SCHEMA_MISMATCH, UNREADABLE_FILE, FILE_TOO_LARGE)
# The lines of one file that were over ingest.max_line_bytes (skipped unread), as one record.
RECORD_TOO_LARGE = "record_too_large"
#: Not a reason: a piece of a line over the limit that Hadoop's reader returns anyway (the first
#: ``max_line_bytes`` bytes, when a skip ends its split). Never written; counted with its file.
LINE_FRAGMENT = "_line_fragment"
#: Reasons a reader sets for a record it built itself, never from file content (see set_aside_records).
SET_ASIDE_REASONS = (*FILE_REASONS, RECORD_TOO_LARGE)

#: Hadoop's line-length limit; Spark passes a read's options into its tasks' Hadoop configuration.
LINE_MAX_LENGTH_OPTION = "mapreduce.input.linerecordreader.line.maxlength"

# Suffixes Hadoop decompresses transparently for text, JSON and CSV sources (zstd via conf/jars/codecs).
COMPRESSED_SUFFIXES = (".gz", ".gzip", ".zst", ".zstd", ".bz2", ".deflate", ".lz4", ".snappy", ".xz")

_BOM = "\ufeff"
INFER_FALLBACK_FILES = 20
_GLOB_CHARS = "\\[]{}*?"
_URI_SAFE = "/,:=@!$&'()*+;~"


class SourceError(ValueError):
    """A source cannot be read as configured (missing folder, no schema to infer)."""


def _utf8_ok(col: Column) -> Column:
    # A string holding invalid UTF-8 bytes decodes with U+FFFD replacements, so re-encoding it differs
    # from its raw bytes. Pure SQL, no Python UDF, and works on Spark 3.5 (no is_valid_utf8 there).
    return F.encode(col, "UTF-8") == col.cast("binary")


def _file_path() -> Column:
    return F.col("_metadata.file_path")


def _strip_bom(col: Column) -> Column:
    # Hadoop's line reader drops a UTF-8 byte-order mark at the start of a file, the CSV parser does
    # too; whole-file reads (wholetext) keep it, and JSON parsing would then fail on it.
    return F.regexp_replace(col, f"^{_BOM}", "")


def _escape_glob(path: str) -> str:
    # A batch read treats its paths as glob patterns; a landing file named "report[1].jsonl" must be
    # read as itself (Hadoop's glob syntax escapes with a backslash).
    return "".join(f"\\{c}" if c in _GLOB_CHARS else c for c in path)


def _json_object(value: Column, text_field: str) -> tuple[Column, Column]:
    """Parse one JSON object per value: ``(parsed map, reader reason)``.

    ``map<string,string>`` coerces every JSON value to text (42 -> "42", [1] -> "[1]"), so a text field
    that is a number, boolean, list or object would pass as a string. Only values whose coerced text
    could be such a value are parsed a second time with that type to tell them apart, so a document
    that merely starts with "[" or a digit costs one extra parse and ordinary text none.
    """
    # from_json accepts an object followed by trailing garbage; one object per value means the value
    # starts with "{" and ends with "}".
    one_object = value.rlike("(?s)^\\s*\\{.*\\}\\s*$")
    parsed = F.when(one_object, F.from_json(value, "map<string,string>"))
    text = parsed.getItem(text_field)
    field = "`" + text_field.replace("`", "``") + "`"

    def is_a(type_ddl: str) -> Column:
        typed = F.from_json(value, f"struct<{field}: {type_ddl}>", {"allowNonNumericNumbers": "false"})
        return typed.getField(text_field).isNotNull()

    not_a_string = (
        F.when(text.isNull(), F.lit(False))
        .when(text.startswith("["), is_a("array<string>"))
        .when(text.startswith("{"), is_a("map<string,string>"))
        .when(text.isin("true", "false"), is_a("boolean"))
        .when(text.rlike("^-?[0-9]"), is_a("double"))
        .otherwise(F.lit(False))
    )
    reason = F.when(parsed.isNull(), F.lit("malformed_json")).when(not_a_string, F.lit("text_not_string"))
    return parsed, reason


@dataclass
class SourceReader:
    """Reads one source: the stream of its new files and the raw records of a list of files.

    The column layout of CSV and Parquet sources is taken once, when the reader is opened, so every
    micro-batch of a run is read with the same schema.
    """

    spark: SparkSession
    source: SourceSettings
    schema: StructType | None = None
    #: Hadoop's line reader skips longer lines without holding them (see :mod:`dq_engine.ingest.limits`).
    max_line_bytes: int | None = None

    @classmethod
    def open(
        cls, spark: SparkSession, source: SourceSettings, max_line_bytes: int | None = None
    ) -> SourceReader:
        reader = cls(spark, source, max_line_bytes=max_line_bytes)
        if source.format == "csv":
            header = reader._infer_schema("csv", header="true", multiLine="true", escape='"')
            names = [f.name for f in header.fields if f.name != CORRUPT]
            reader.schema = StructType(
                [StructField(n, StringType()) for n in names] + [StructField(CORRUPT, StringType())]
            )
        elif source.format == "parquet":
            inferred = reader._infer_schema("parquet")
            # The text column is read as a string whatever the file the schema came from says, so a
            # file whose text column has another type is the one set aside (schema_mismatch), never
            # the well-formed ones. Replaced in place: payloads and content-derived ids keep their
            # column order.
            text = StructField(source.text_field, StringType())
            fields = [text if f.name == source.text_field else f for f in inferred.fields]
            if source.text_field not in inferred.fieldNames():
                fields.append(text)
            reader.schema = StructType(fields)
        return reader

    def _infer_schema(self, fmt: str, **options: str) -> StructType:
        """The source's columns, from the file Spark picks; else from the first file that reads.

        Spark infers a CSV header or a Parquet schema from one file of the folder. When that file is
        unreadable (a random-bytes ``.parquet``, a truncated ``.csv.gz``), the folder's files are
        tried one by one in path order (at most :data:`INFER_FALLBACK_FILES`), so one bad file does not
        stop the source; the batch read sets it aside later.
        """
        reader = (
            self.spark.read.format(fmt)
            .options(**options)
            .option("ignoreCorruptFiles", "true")
            .options(**self.source.options)
        )
        if self.source.glob:
            reader = reader.option("pathGlobFilter", self.source.glob)
        try:
            return reader.load(self.source.path).schema
        except Exception as exc:  # noqa: BLE001 - retried per file, then re-raised with the source named
            first_error = exc
        try:
            listing = self.spark.read.format("binaryFile").options(**self.source.options)
            if self.source.glob:
                listing = listing.option("pathGlobFilter", self.source.glob)
            files = [
                r["path"]
                for r in listing.load(self.source.path)
                .select("path")
                .orderBy("path")
                .limit(INFER_FALLBACK_FILES)
                .collect()
            ]
        except Exception:  # noqa: BLE001 - the folder itself is unreadable: report the first error
            files = []
        for path in files:
            try:
                return reader.load(_escape_glob(path)).schema
            except Exception:  # noqa: BLE001 - try the next file
                continue
        raise SourceError(
            f"source {self.source.name!r}: cannot infer schema from {self.source.path}: "
            f"{first_line(first_error)}"
        ) from first_error

    def file_stream(
        self, max_bytes_per_trigger: int | None = None, seen: set[str] | None = None
    ) -> DataFrame:
        """A stream of the source's new files (``path``, ``length``); file contents are not read.

        A micro-batch takes the source's ``max_files_per_trigger`` files, else as many as make about
        ``max_bytes_per_trigger`` bytes (:meth:`files_per_trigger`), else every new file.
        """
        # binaryFile's schema is fixed; a stream needs it given. Selecting path and length prunes the
        # content column, so the listing never opens a file.
        reader = self.spark.readStream.format("binaryFile").schema(BINARY_FILE_SCHEMA)
        if self.source.glob:
            reader = reader.option("pathGlobFilter", self.source.glob)
        files_per_trigger = self.source.max_files_per_trigger or self.files_per_trigger(
            max_bytes_per_trigger, seen
        )
        if files_per_trigger:
            reader = reader.option("maxFilesPerTrigger", files_per_trigger)
        return reader.options(**self.source.options).load(self.source.path).select("path", "length")

    def files_per_trigger(self, max_bytes: int | None, seen: set[str] | None = None) -> int | None:
        """How many files a micro-batch may take so that it reads about ``max_bytes`` (None: no limit).

        Spark 3.5's file source bounds a micro-batch by file count only, so the count comes from the
        mean size of the files: for a local folder, of those not in ``seen`` (the URIs the stream's
        checkpoint already holds, so an increment of small files is not sized by an old backlog of
        large ones), else of every file, by one Spark job over the
        listing (``binaryFile`` with the content pruned), asked only when the stream is about to start.
        A batch holds at least one file whatever its size, and the count changes between runs only for
        batches not yet planned: a batch that was planned keeps the files in its checkpoint offsets.
        """
        if not max_bytes:
            return None
        folder = local_folder(self.source.path)
        if folder is not None:
            glob = self.source.glob
            files = [f for f in landing_files(folder) if not glob or fnmatch(f.name, glob)]
            new = [f for f in files if f.resolve().as_uri() not in (seen or set())]
            sizes = [f.stat().st_size for f in (new or files)]
            return max(1, int(max_bytes * len(sizes) // max(sum(sizes), 1))) if sizes else None
        reader = self.spark.read.format("binaryFile").schema(BINARY_FILE_SCHEMA)
        if self.source.glob:
            reader = reader.option("pathGlobFilter", self.source.glob)
        row = (
            reader.options(**self.source.options)
            .load(self.source.path)
            .agg(F.count("*").alias("files"), F.avg("length").alias("mean"))
            .head()
        )
        if row is None or not row["files"]:
            return None
        return max(1, int(max_bytes // max(float(row["mean"] or 0.0), 1.0)))

    @property
    def line_based(self) -> bool:
        """One record per line of the file (``jsonl``, ``text`` by line)."""
        return self.source.format == "jsonl" or (
            self.source.format == "text" and self.source.text_mode != "file"
        )

    @property
    def whole_file(self) -> bool:
        """One file is read as one string (``json``, ``text`` with ``text_mode: file``)."""
        return self.source.format == "json" or (
            self.source.format == "text" and self.source.text_mode == "file"
        )

    def _batch(self, fmt: str, **options: str) -> DataFrameReader:
        reader = self.spark.read.format(fmt).options(**options)
        if self.line_based and self.max_line_bytes is not None:
            reader = reader.option(LINE_MAX_LENGTH_OPTION, str(self.max_line_bytes))
        return reader.options(**self.source.options)

    def read_files(self, files: Sequence[str]) -> DataFrame:
        """The raw records (:data:`RAW_SCHEMA`) of ``files``, read with the source's format."""
        paths = [_escape_glob(f) for f in files]
        fmt = self.source.format
        if fmt == "jsonl":
            return self._json_lines(paths)
        if fmt == "json":
            return self._json_documents(paths)
        if fmt == "csv":
            return self._csv(paths)
        if fmt == "parquet":
            return self._parquet(paths)
        return self._text(paths)

    def _fragment(self) -> Column:
        """True for a line-reader value that is a piece of a line over ``max_line_bytes``.

        A line the reader keeps is shorter than the limit with its break; when a skip ends the
        reader's split, Hadoop returns the skipped line's first ``max_line_bytes`` bytes as a value.
        So a value of at least the limit can only be such a piece.
        """
        if self.max_line_bytes is None:
            return F.lit(False)
        return F.octet_length(F.col("value")) >= self.max_line_bytes

    def _json_lines(self, paths: list[str]) -> DataFrame:
        raw = self._batch("text").load(paths)
        parsed, reason = _json_object(F.col("value"), self.source.text_field)
        fragment = self._fragment()
        return raw.select(
            _file_path().alias("source_uri"),
            F.lit(None).cast("string").alias("record_pos"),
            F.col("value").alias("payload"),
            _utf8_ok(F.col("value")).alias("payload_ok"),
            F.when(~fragment, parsed).alias("parsed"),
            F.when(fragment, F.lit(LINE_FRAGMENT)).otherwise(reason).alias("parse_error"),
        )

    def _json_documents(self, paths: list[str]) -> DataFrame:
        """Whole-file JSON: an array of objects (one record each) or a single object (one record)."""
        raw = self._batch("text", wholetext="true").load(paths)
        file_text = _strip_bom(F.col("value"))
        # array<string> keeps each element as its own JSON text, so every element is checked like a
        # JSON line (an element that is not an object, a text that is not a string).
        as_array = F.from_json(file_text, "array<string>")
        # A file that is neither an array nor an object yields itself as one element: one quarantined
        # record.
        elements = F.coalesce(as_array, F.array(file_text))
        exploded = raw.select(
            _file_path().alias("source_uri"),
            F.col("value").alias("file_text"),
            F.posexplode(elements).alias("pos", "element"),
        )
        parsed, reason = _json_object(F.col("element"), self.source.text_field)
        return exploded.select(
            "source_uri",
            F.col("pos").cast("string").alias("record_pos"),
            F.coalesce(F.col("element"), F.col("file_text")).alias("payload"),
            _utf8_ok(F.col("file_text")).alias("payload_ok"),
            parsed.alias("parsed"),
            reason.alias("parse_error"),
        )

    def _csv(self, paths: list[str]) -> DataFrame:
        assert self.schema is not None
        fields = [f.name for f in self.schema.fields if f.name != CORRUPT]
        raw = (
            self._batch("csv", header="true", multiLine="true", escape='"', enforceSchema="false")
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", CORRUPT)
            .options(**self.source.options)
            .schema(self.schema)
            .load(paths)
        )
        as_map = F.map_from_arrays(
            F.array(*[F.lit(n) for n in fields]), F.array(*[F.col(f"`{n}`") for n in fields])
        )
        corrupt = F.col(CORRUPT).isNotNull()
        payload = F.when(corrupt, F.col(CORRUPT)).otherwise(
            F.to_json(F.struct(*[F.col(f"`{n}`") for n in fields]))
        )
        return raw.select(
            _file_path().alias("source_uri"),
            F.lit(None).cast("string").alias("record_pos"),
            payload.alias("payload"),
            # The CSV parser decodes bytes itself, replacing invalid UTF-8 with U+FFFD: a replacement
            # character in a row is taken as an invalid byte.
            (~F.coalesce(payload.contains("\ufffd"), F.lit(False))).alias("payload_ok"),
            F.when(corrupt, F.lit(None)).otherwise(as_map).alias("parsed"),
            F.when(corrupt, F.lit("malformed_csv")).alias("parse_error"),
        )

    def _parquet(self, paths: list[str]) -> DataFrame:
        assert self.schema is not None
        schema = self.schema
        raw = self._batch("parquet").schema(schema).load(paths)
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

    def _text(self, paths: list[str]) -> DataFrame:
        whole_file = self.source.text_mode == "file"
        raw = self._batch("text", **({"wholetext": "true"} if whole_file else {})).load(paths)
        value = _strip_bom(F.col("value")) if whole_file else F.col("value")
        fragment = F.lit(False) if whole_file else self._fragment()
        return raw.select(
            _file_path().alias("source_uri"),
            (F.lit("file") if whole_file else F.lit(None)).cast("string").alias("record_pos"),
            value.alias("payload"),
            _utf8_ok(F.col("value")).alias("payload_ok"),
            F.create_map(F.lit(self.source.text_field), value).alias("parsed"),
            F.when(fragment, F.lit(LINE_FRAGMENT)).alias("parse_error"),
        )

    def file_uri(self, path: str) -> str:
        """A listed path as a read's ``_metadata.file_path`` spells it (URL-encoded: ``a b`` -> ``a%20b``).

        The file stream lists decoded paths; records carry the encoded form. Hadoop's ``Path`` makes
        the one from the other exactly as Spark does (non-ASCII letters stay as they are).
        """
        jvm = self.spark.sparkContext._jvm
        assert jvm is not None
        return str(jvm.org.apache.hadoop.fs.Path(path).toUri().toString())

    def set_aside_records(self, failures: dict[str, FileFailure]) -> DataFrame:
        """One raw record per file set aside (unreadable, too large, lines skipped), with its reason.

        ``failures`` is keyed by listed path; ``source_uri`` is the file's URI as its other records
        carry it. The payload is a diagnostic (the reader's error class and message, sizes), never
        file content.
        """
        rows = [
            (self.file_uri(path), "file", failure.diagnostic, True, None, failure.reason)
            for path, failure in sorted(failures.items())
        ]
        return self.spark.createDataFrame(rows, RAW_SCHEMA)


@dataclass(frozen=True)
class FileFailure:
    """Why one landing file could not be read: a file-level reason and a short diagnostic."""

    reason: str
    diagnostic: str

    @property
    def error_class(self) -> str:
        return self.diagnostic.split(":", 1)[0]


# Substrings of a Java exception chain that mean "this file could not be read", as opposed to a failure
# of the job itself (out of memory, a lost executor, a Delta conflict), which must fail the run.
_FILE_ERROR_MARKERS = (
    "java.io.EOFException",
    "java.util.zip.ZipException",
    "com.github.luben.zstd.",
    "org.apache.parquet.",
    "SchemaColumnConvertNotSupportedException",
    "is not a Parquet file",
    "Parquet column cannot be converted",
    "Encountered error while reading file",
    "FAILED_READ_FILE",
    "CANNOT_READ_FILE_FOOTER",
    "CSV header does not conform to the schema",
    "Not in GZIP format",
    "incorrect header check",
    "invalid block type",
    "invalid stored block lengths",
    "invalid distance",
    "org.apache.hadoop.io.compress.",
    # Hadoop's line reader, for a line over 2 GB in a compressed file (its size limit cannot apply).
    "Too many bytes before newline",
)
_SCHEMA_MARKERS = (
    "SchemaColumnConvertNotSupportedException",
    "Parquet column cannot be converted",
    "CSV header does not conform to the schema",
)


def exception_chain(exc: BaseException) -> list[tuple[str, str]]:
    """``(class name, message)`` of an exception and its causes, Java ones included (Py4J, Spark)."""
    chain: list[tuple[str, str]] = []
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    if java is not None:
        try:
            seen = 0
            while java is not None and seen < 20:
                message = java.getMessage()
                chain.append((str(java.getClass().getName()), "" if message is None else str(message)))
                java = java.getCause()
                seen += 1
        except Exception:  # noqa: BLE001 - the gateway may be gone; fall back to the Python view
            chain = []
    if not chain:
        chain.append((type(exc).__name__, str(exc)))
        cause = exc.__cause__
        while cause is not None and len(chain) < 20:
            chain.append((type(cause).__name__, str(cause)))
            cause = cause.__cause__
    return chain


def is_file_read_error(exc: BaseException) -> bool:
    """True when ``exc`` says that a landing file could not be read (not that the job failed)."""
    text = "\n".join(f"{cls}: {msg}" for cls, msg in exception_chain(exc))
    if not any(marker in text for marker in _FILE_ERROR_MARKERS):
        # Py4J's own text of a failed Spark job holds the executor-side stack trace.
        text = str(exc)
        return any(marker in text for marker in _FILE_ERROR_MARKERS)
    return True


def _path_forms(path: str) -> list[str]:
    """How Spark may spell a listed path in an error: as listed, as a URI, URL-encoded."""
    forms = [path]
    if path.startswith("file:/") and not path.startswith("file://"):
        rest = path[len("file:") :]
        forms += [f"file://{rest}", "file://" + quote(rest, safe=_URI_SAFE)]
    return forms


def named_file(exc: BaseException, files: Sequence[str]) -> str | None:
    """The file of ``files`` that Spark's error names as unreadable, if it names exactly one."""
    text = "\n".join(f"{cls}: {msg}" for cls, msg in exception_chain(exc)) + "\n" + str(exc)
    named = [
        f
        for f in files
        if any(re.search(re.escape(form) + r"(?=\.?(\s|$))", text) for form in _path_forms(f))
    ]
    return named[0] if len(named) == 1 else None


def file_failure(path: str, exc: BaseException) -> FileFailure:
    """The file-level reason and diagnostic for a file that failed to read on its own."""
    chain = exception_chain(exc)
    text = "\n".join(f"{cls}: {msg}" for cls, msg in chain) + "\n" + str(exc)
    if any(marker in text for marker in _SCHEMA_MARKERS):
        reason = SCHEMA_MISMATCH
    elif "Too many bytes before newline" in text:
        reason = RECORD_TOO_LARGE
    elif path.lower().endswith(COMPRESSED_SUFFIXES):
        reason = CORRUPT_ARCHIVE
    else:
        reason = UNREADABLE_FILE
    # The innermost cause with a message names the actual problem (EOFException: Unexpected end of
    # input stream); Spark's wrappers above it only repeat the file name. First line, bounded.
    cls, msg = next(((c, m) for c, m in reversed(chain) if m.strip()), chain[0])
    first_line = msg.strip().splitlines()[0] if msg.strip() else ""
    diagnostic = f"{cls.rsplit('.', 1)[-1]}: {first_line}"[:300]
    return FileFailure(reason=reason, diagnostic=diagnostic)


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (Spark's are often many lines long)."""
    for raw in str(exc).splitlines():
        line = raw.strip().lstrip(":").strip()
        # Py4J prefixes a Java error with "An error occurred while calling o123.load." on its own line.
        if line and not line.startswith("An error occurred while calling"):
            return line[:500]
    return type(exc).__name__


__all__ = [
    "CORRUPT_ARCHIVE",
    "FILE_REASONS",
    "FILE_TOO_LARGE",
    "LINE_FRAGMENT",
    "LINE_MAX_LENGTH_OPTION",
    "RECORD_TOO_LARGE",
    "SET_ASIDE_REASONS",
    "RAW_SCHEMA",
    "SCHEMA_MISMATCH",
    "UNREADABLE_FILE",
    "FileFailure",
    "SourceError",
    "SourceReader",
    "exception_chain",
    "file_failure",
    "first_line",
    "is_file_read_error",
    "named_file",
]
