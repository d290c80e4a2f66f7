"""Record-size limits: what is too large to read, and how a line skipped for its size is still counted.

A single record is held in one JVM string while it is read, so a multi-GB line or file would fail the
task (a Java array cannot exceed 2 GB) or exhaust the executor's heap, which in local mode is the
driver's: one hostile file would end the run. Two limits keep every read bounded:

- ``ingest.max_line_bytes`` (line formats: ``jsonl``, ``text`` by line). Hadoop's line reader is given it
  as ``mapreduce.input.linerecordreader.line.maxlength``: a longer line is consumed without being held
  and skipped. Hadoop does not report the skip, so it is found by byte accounting
  (:func:`skipped_lines`) and quarantined as ``record_too_large``: one record per file, whatever the
  number of long lines in it. When a skip ends one of its splits, Hadoop's reader returns the skipped
  line's first ``max_line_bytes`` bytes as a value; such a value (never shorter than the limit, which
  no kept line reaches) is a piece of the skipped line, not a record: it is dropped, and its file is
  flagged whatever the byte count says.
- ``ingest.max_file_bytes`` (whole-file formats: ``json``, ``text`` with ``text_mode: file``). A file
  whose listed size is above it is quarantined as ``file_too_large`` before it is read
  (:func:`oversize_files`).

Byte accounting: a line-format file of ``S`` bytes read as ``N`` lines holding ``B`` bytes satisfies
``S - B <= 2 N + 3`` when no line was skipped (each line break is 1 or 2 bytes: LF, CR or CRLF, plus a
3-byte BOM that the reader drops). A skipped line adds at least ``max_line_bytes - 2`` to the left side,
so the test is exact while ``N < max_line_bytes - 6``: for the 64 MiB default, any file under 67 million
lines. It needs the uncompressed size, so it covers uncompressed files only: in a compressed file a line
between ``max_line_bytes`` and 2 GB is caught only when a piece of it surfaces (README, *Known limits*);
a line over 2 GB in a compressed file fails the read and the whole file is set aside as
``record_too_large``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from dq_engine.ingest.readers import (
    COMPRESSED_SUFFIXES,
    FILE_TOO_LARGE,
    RECORD_TOO_LARGE,
    FileFailure,
)

# Bytes a line-format file may hold outside its lines' values without a skipped line: a 3-byte BOM at
# the start (dropped by the line reader) on top of the 2-byte CRLF per line.
_BOM_BYTES = 3


def oversize_files(lengths: Mapping[str, int], max_file_bytes: int) -> dict[str, FileFailure]:
    """Whole-file records too large to read: every file whose listed size exceeds ``max_file_bytes``.

    A compressed file's listed size is a lower bound of its content, so one over the limit is too
    large for certain; one under it is read (its content may still be larger: see the module doc).
    """
    return {
        path: FileFailure(
            reason=FILE_TOO_LARGE,
            diagnostic=f"FileTooLarge: {size} bytes is over ingest.max_file_bytes ({max_file_bytes})",
        )
        for path, size in sorted(lengths.items())
        if size > max_file_bytes
    }


def skipped_lines(
    lengths: Mapping[str, int],
    lines_read: Mapping[str, tuple[int, int]],
    max_line_bytes: int,
    fragments: Collection[str] = (),
) -> dict[str, FileFailure]:
    """Line-format files in which the line reader skipped at least one line for its size.

    Args:
        lengths: every file of the batch and its size in bytes (from the listing).
        lines_read: per file, ``(lines, bytes)`` the reader returned (pieces of skipped lines not
            included); a file absent here returned none.
        max_line_bytes: the limit the reader was given.
        fragments: files for which the reader returned a piece of a skipped line
            (:data:`~dq_engine.ingest.readers.LINE_FRAGMENT`): a skip for certain, compressed or not.

    Returns:
        One ``record_too_large`` failure per such file; its diagnostic says how many bytes were not read
        as lines. Nothing of the skipped content is kept (it may be anything, PII included).
    """
    out: dict[str, FileFailure] = {}
    for path, size in sorted(lengths.items()):
        lines, held = lines_read.get(path, (0, 0))
        if path.lower().endswith(COMPRESSED_SUFFIXES):
            if path in fragments:
                out[path] = FileFailure(
                    reason=RECORD_TOO_LARGE,
                    diagnostic=(
                        f"RecordTooLarge: line(s) over ingest.max_line_bytes ({max_line_bytes}) were "
                        f"skipped; {lines} line(s) read"
                    ),
                )
            continue
        unread = size - held
        if unread > 2 * lines + _BOM_BYTES or path in fragments:
            # Line breaks account for lines..2*lines of the unread bytes; the rest was skipped.
            skipped_at_least = max(unread - 2 * lines - _BOM_BYTES, max_line_bytes - 2)
            out[path] = FileFailure(
                reason=RECORD_TOO_LARGE,
                diagnostic=(
                    f"RecordTooLarge: {skipped_at_least} to {unread - lines + 1} bytes in line(s) over "
                    f"ingest.max_line_bytes ({max_line_bytes}) were skipped; {lines} line(s) read"
                ),
            )
    return out


__all__ = ["oversize_files", "skipped_lines"]
