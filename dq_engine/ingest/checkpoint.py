"""What a source's stream checkpoint says, read without starting the stream.

A run with nothing new to ingest used to start every source's ``availableNow`` stream (open the
source, plan, list the landing folder, write nothing) only to learn that. :func:`nothing_new` answers
first, from two facts on disk, and is conservative: any doubt means "start the stream", which stays
the source of truth for what is ingested.

1. Every file under the landing folder is recorded in the checkpoint's file-source log
   (``sources/0/<batch>`` and ``<batch>.compact``: a ``v1`` line, then one JSON object per file with
   its ``path``). That is the list Spark's ``FileStreamSource`` checks new files against.
2. Every micro-batch the stream planned (``offsets/<batch>``) also committed (``commits/<batch>``), and
   the newest planned batch covers the newest entry of the file-source log (its ``logOffset``). A run
   killed inside a micro-batch leaves its files in the log but its batch uncommitted; one killed
   between listing new files and planning their batch leaves a log entry no batch covers. Either way
   the stream must start to run that batch.

Local landing folders only: for object stores (``s3://``, ``dbfs:``, ...) listing costs as much as
letting the stream list, so the stream always starts there.
"""

from __future__ import annotations

import json
from pathlib import Path


def local_folder(path: str) -> Path | None:
    """``path`` as a local path, or None for an object store / DBFS URI (not read here)."""
    if "://" in path or path.startswith("dbfs:"):
        return None
    return Path(path)


def _batch_ids(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return [int(p.name) for p in folder.iterdir() if p.name.isdigit()]


def recorded_files(checkpoint: Path) -> set[str]:
    """The file URIs the checkpoint's file-source log records (empty when there is no log)."""
    log_dir = checkpoint / "sources" / "0"
    seen: set[str] = set()
    if not log_dir.is_dir():
        return seen
    for entry in log_dir.iterdir():
        name = entry.name
        if not (name.isdigit() or (name.endswith(".compact") and name[: -len(".compact")].isdigit())):
            continue  # .crc, .tmp and other files Hadoop leaves beside the log
        lines = entry.read_text(encoding="utf-8").splitlines()
        for line in lines[1:]:  # the first line is the log format version ("v1")
            if line.strip():
                seen.add(str(json.loads(line)["path"]))
    return seen


def _log_ids(log_dir: Path) -> list[int]:
    if not log_dir.is_dir():
        return []
    names = (p.name.removesuffix(".compact") for p in log_dir.iterdir())
    return [int(n) for n in names if n.isdigit()]


def _planned_log_offset(checkpoint: Path, batch: int) -> int | None:
    """The file source's ``logOffset`` in ``offsets/<batch>`` (None when it cannot be read)."""
    try:
        lines = (checkpoint / "offsets" / str(batch)).read_text(encoding="utf-8").splitlines()
        offsets = [json.loads(line) for line in lines[2:] if line.strip()]
        return int(offsets[0]["logOffset"]) if len(offsets) == 1 else None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def last_planned_batch(checkpoint: str) -> int | None:
    """The highest micro-batch id the stream checkpoint has planned (``offsets/<id>``), -1 for none.

    None when the checkpoint is not on the local file system (it is not read here). Asked before a
    stream starts: a batch with a higher id is planned by this run, so it cannot be the replay of a
    batch an earlier, killed run committed.
    """
    folder = local_folder(checkpoint)
    return None if folder is None else max(_batch_ids(folder / "offsets"), default=-1)


def seen_files(checkpoint: str) -> set[str] | None:
    """The file URIs a local stream checkpoint holds (:func:`recorded_files`); None for object stores."""
    folder = local_folder(checkpoint)
    return None if folder is None else recorded_files(folder)


def has_uncommitted_batch(checkpoint: Path) -> bool:
    """Whether the stream has work it started: a planned batch that did not commit, or listed files
    (a file-source log entry) that no planned batch covers yet. Unreadable offsets count as work."""
    planned = _batch_ids(checkpoint / "offsets")
    committed = _batch_ids(checkpoint / "commits")
    listed = _log_ids(checkpoint / "sources" / "0")
    if not planned:
        return bool(listed)
    if max(planned) > max(committed, default=-1):
        return True
    covered = _planned_log_offset(checkpoint, max(planned))
    return covered is None or max(listed, default=-1) > covered


def _hidden(name: str) -> bool:
    """Spark's rule for names its file listing skips (``HadoopFSUtils.shouldFilterOutPathName``)."""
    if name.startswith(("_metadata", "_common_metadata")):
        return False
    return (name.startswith("_") and "=" not in name) or name.startswith(".") or name.endswith("._COPYING_")


def landing_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` that Spark's listing does not skip, at any depth.

    A superset of what the stream sees (it may not descend into every sub-folder), so a file the
    stream would pick up is never missing here.
    """
    return [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(_hidden(part) for part in p.relative_to(folder).parts)
    ]


def nothing_new(landing: str, checkpoint: str) -> bool:
    """True only when the stream over local ``landing`` with ``checkpoint`` has provably nothing to do."""
    folder, ckpt = local_folder(landing), local_folder(checkpoint)
    if folder is None or ckpt is None or not folder.is_dir() or not ckpt.is_dir():
        return False
    if has_uncommitted_batch(ckpt):
        return False
    files = landing_files(folder)
    if not files:
        return False
    seen = recorded_files(ckpt)
    return all(p.resolve().as_uri() in seen for p in files)
