"""What an engine-written table holds at a version, read from its own Delta commits.

Every engine commit carries ``userMetadata``: curate commits ``{"job": "curate", "bronze_version": B,
"epoch": E}``, publish commits ``{"job": "publish", "silver_version": S, "bronze_version": B}``, and the
commits of ``dq-engine restore`` ``{"job": "rewind", ...}`` with the same keys. The content of a table at
version ``v`` is defined by the newest such commit at or before ``v`` *in its lineage*: a ``RESTORE``
commit jumps to the version it restored, other commits (OPTIMIZE, VACUUM, the table's creation) carry
nothing and are stepped over. So "silver.documents at version 12 holds bronze up to version 7" is a fact
of the table's log, whatever ``ops.runs`` says and however many restores happened.

Only commit metadata is read (one row per commit, on the driver), never data files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dq_engine.versioning.tables import Tables

#: Commits looked at first; older ones are read only when the walk reaches past them.
RECENT_COMMITS = 50


@dataclass(frozen=True)
class Commit:
    version: int
    operation: str
    metadata: dict[str, Any]
    restored_to: int | None


@dataclass(frozen=True)
class Holding:
    """What a table holds at ``version``: the metadata of the engine commit that defines its content."""

    table: str
    version: int
    metadata: dict[str, Any] = field(default_factory=dict)
    #: the version of a RESTORE made outside the engine that the walk passed through, if any
    external_restore: int | None = None

    def get(self, key: str) -> int | None:
        value = self.metadata.get(key)
        return None if value is None else int(value)


def commit_log(tables: Tables, name: str, limit: int | None = None) -> dict[int, Commit]:
    """``version -> Commit`` for the table's newest ``limit`` commits (all when None)."""
    log: dict[int, Commit] = {}
    for row in tables.commit_infos(name, limit):
        try:
            meta = json.loads(row["userMetadata"]) if row["userMetadata"] else {}
        except ValueError:  # somebody else's free-text userMetadata
            meta = {}
        to = row["operationParameters"].get("version") if row["operation"] == "RESTORE" else None
        log[int(row["version"])] = Commit(
            int(row["version"]),
            row["operation"],
            meta if isinstance(meta, dict) else {},
            None if to is None else int(to),
        )
    return log


def _walk(log: dict[int, Commit], name: str, version: int, jobs: tuple[str, ...]) -> Holding | None:
    """Holding at ``version``, or None when the walk needs a commit older than ``log`` holds."""
    v, external = version, None
    while v >= 0:
        commit = log.get(v)
        if commit is None:
            return None
        if commit.metadata.get("job") in jobs:
            return Holding(name, version, commit.metadata, external)
        if commit.restored_to is not None:
            external = v if external is None else external
            v = commit.restored_to
            continue
        v -= 1
    return Holding(name, version, {}, external)


def holding(tables: Tables, name: str, jobs: tuple[str, ...], version: int | None = None) -> Holding | None:
    """What ``name`` holds at ``version`` (default: now) by the newest commit of one of ``jobs``.

    None when the table does not exist. Reads the newest :data:`RECENT_COMMITS` commits, and the whole
    log only when the defining commit is older (a long run of OPTIMIZE commits, or a restore far back).
    """
    if not tables.exists(name):
        return None
    recent = commit_log(tables, name, RECENT_COMMITS)
    at = max(recent) if version is None else version  # the log's newest entry is the current version
    found = _walk(recent, name, at, jobs)
    if found is None:
        found = _walk(commit_log(tables, name), name, at, jobs)
    # History older than delta.logRetentionDuration is gone: treat the table as holding nothing known.
    return found or Holding(name, at)


def versions_holding_at_most(
    tables: Tables,
    name: str,
    jobs: tuple[str, ...],
    bound: int | None,
    value_of: Callable[[Holding], int | None],
) -> tuple[int | None, Holding | None]:
    """The newest version of ``name`` whose content has ``value_of(holding) <= bound``.

    A value of None means the version holds nothing the engine wrote, which is below any bound.

    Versions reached through a RESTORE made outside the engine are passed over in favour of the version
    that restore pointed at (the same content, reached through an engine commit). Returns ``(version,
    holding)``; ``(None, None)`` when every version holds more than ``bound`` (the table must be emptied
    instead of restored).
    """
    log = commit_log(tables, name)
    for v in sorted(log, reverse=True):
        found = _walk(log, name, v, jobs)
        if found is None or found.external_restore is not None:
            continue
        value = value_of(found)
        if value is None or (bound is not None and value <= bound):
            return v, found
    return None, None
