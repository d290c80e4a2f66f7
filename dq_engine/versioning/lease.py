"""One writer per lakehouse: a lease committed to the Delta table ``ops.lease``.

Every job that writes the lakehouse (``ingest``, ``curate``, ``audit``, ``run``, ``restore``) holds the
lease for its whole life. Without it two runs can curate overlapping bronze ranges under different
idempotency keys (run A up to bronze version 5, run B up to 6) and both appends land: duplicate rows.

How the lease is taken: ``ops.lease`` is append-only, one row per event (``acquire``, ``renew``,
``release``, ``break``) with a sequence number ``seq``; the row with the highest ``seq`` is the state.
Each event's commit also carries the event in its ``userMetadata``, so the state is read from the
newest commit files, without a Spark job.
A claimant that sees the lease free appends the row ``seq + 1`` with Delta's ``txnAppId =
dq-engine-lease`` and ``txnVersion = seq + 1``. Delta makes the application-transaction id part of the
commit's conflict check: of two writers claiming the same ``seq + 1``, the second either fails with
``ConcurrentTransactionException`` (its commit raced the first) or is skipped as already applied (it
started after the first committed). Either way exactly one row ``seq + 1`` exists, and a claimant owns the
lease only if that row carries its run id, which it reads back. The guarantee is Delta's commit
atomicity: it holds wherever concurrent Delta writers are safe - HDFS, ADLS, GCS, Databricks, and S3 with
the DynamoDB log store (``io.delta.storage.S3DynamoDBLogStore``). On S3 without it, two clusters can
overwrite each other's commit file, and neither this lease nor Delta's own isolation holds.

A holder renews every ``heartbeat_seconds`` (a daemon thread). A lease is stale, and can be taken over,
when its ``expires_at`` passed, or when its holder ran on this host and its pid is gone (a killed run is
taken over at once by the next one on the same machine). ``dq-engine unlock`` breaks a lease by hand.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from dq_engine.errors import OperatorError
from dq_engine.versioning.tables import Tables

log = logging.getLogger(__name__)

LEASE_TABLE = "ops_lease"
LEASE_APP_ID = "dq-engine-lease"
LEASE_SCHEMA = StructType(
    [
        StructField("seq", LongType(), False),
        StructField("action", StringType(), False),
        StructField("run_id", StringType(), False),
        StructField("job", StringType(), True),
        StructField("host", StringType(), True),
        StructField("pid", LongType(), True),
        StructField("at", TimestampType(), False),
        StructField("expires_at", TimestampType(), True),
    ]
)
HOLDING = ("acquire", "renew")
#: Commits of ``ops.lease`` read for its newest events; older ones only when none of these has one.
RECENT_COMMITS = 20
#: Commits that change no rows; a newer commit of any other kind sends the state read to the rows.
MAINTENANCE = ("OPTIMIZE", "VACUUM", "SET TBLPROPERTIES", "CREATE TABLE")


class LeaseHeldError(OperatorError):
    """Another run holds the lakehouse's lease; the message names it."""


class LeaseLostError(OperatorError):
    """This run's lease was broken or taken over while it ran."""


@dataclass(frozen=True)
class LeaseState:
    """The newest row of ``ops.lease``."""

    seq: int
    action: str
    run_id: str
    job: str | None
    host: str | None
    pid: int | None
    at: datetime
    expires_at: datetime | None

    def held(self, now: datetime) -> bool:
        """Held by a live run: not released, not expired, and not a dead process on this host."""
        if self.action not in HOLDING:
            return False
        if self.expires_at is not None and _utc(self.expires_at) <= now:
            return False
        return not (self.host == socket.gethostname() and self.pid is not None and not _alive(self.pid))

    def describe(self) -> str:
        expires = _utc(self.expires_at).isoformat(timespec="seconds") if self.expires_at else "never"
        return (
            f"run {self.run_id} (job {self.job}, host {self.host}, pid {self.pid}, "
            f"since {_utc(self.at).isoformat(timespec='seconds')}, lease expires {expires})"
        )


def _utc(ts: datetime) -> datetime:
    # PySpark returns TimestampType values as naive datetimes in the Python process's local time.
    return ts.astimezone(timezone.utc)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _now() -> datetime:
    return datetime.now(timezone.utc)


def current_state(tables: Tables) -> LeaseState | None:
    """The lease's newest event, or None when no job ever took it.

    Read from the newest commits' ``userMetadata`` (:func:`_logged_events`): a few small JSON files,
    no Spark job. The rows are read only when those commits carry no event (a table written by an
    engine version that did not log them, or a long run of maintenance commits).
    """
    if not tables.exists(LEASE_TABLE):
        return None
    events, empty = _logged_events(tables)
    if events:
        return events[0]
    if empty:
        return None
    row = tables.read(LEASE_TABLE).orderBy(F.col("seq").desc()).limit(1).head()
    if row is None:
        return None
    return LeaseState(**{name: row[name] for name in LEASE_SCHEMA.fieldNames()})


def _logged_events(tables: Tables, limit: int = RECENT_COMMITS) -> tuple[list[LeaseState], bool]:
    """The lease events recorded in the newest ``limit`` commits of ``ops.lease``, newest first, and
    whether the table has provably never been written (its whole log seen, no data commit in it).

    Each event's commit carries the event itself in its ``userMetadata`` (see :meth:`Lease._append`).
    Commit order is ``seq`` order: a claim for ``seq`` that loses the race is rejected or skipped by
    Delta, never committed after a higher ``seq``.
    """
    rows = tables.commit_infos(LEASE_TABLE, limit)  # newest first
    events: list[LeaseState] = []
    for row in rows:
        try:
            event = json.loads(row["userMetadata"] or "{}").get("lease")
        except (ValueError, AttributeError):  # somebody else's free-text userMetadata
            event = None
        if isinstance(event, dict):
            events.append(_event_state(event))
        elif not events and not str(row["operation"]).startswith(MAINTENANCE):
            # Newer than every logged event and not maintenance (a RESTORE, a hand-made write): the
            # rows may no longer match the log's newest event, so the caller reads the rows.
            return [], False
    never_written = any(int(r["version"]) == 0 for r in rows) and all(
        "CREATE" in str(r["operation"]) for r in rows
    )
    return events, never_written


def _event_state(event: dict[str, Any]) -> LeaseState:
    def ts(value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(str(value))

    at = ts(event["at"])
    assert at is not None
    return LeaseState(
        seq=int(event["seq"]),
        action=str(event["action"]),
        run_id=str(event["run_id"]),
        job=event.get("job"),
        host=event.get("host"),
        pid=None if event.get("pid") is None else int(event["pid"]),
        at=at,
        expires_at=ts(event.get("expires_at")),
    )


def _is_conflict(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}"
    return "ConcurrentTransactionException" in text or "ConcurrentAppendException" in text


class Lease:
    """The lakehouse's writer lease for one run; use :func:`hold` rather than this class directly."""

    def __init__(self, tables: Tables, run_id: str, job: str):
        self.tables = tables
        self.run_id = run_id
        self.job = job
        self.settings = tables.settings.lease
        self.seq: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: str | None = None

    # -- events ---------------------------------------------------------------------------------------
    def _append(self, seq: int, action: str, ttl: bool = True) -> None:
        now = _now()
        row = (
            seq,
            action,
            self.run_id,
            self.job,
            socket.gethostname(),
            os.getpid(),
            now,
            now + timedelta(seconds=self.settings.ttl_seconds) if ttl else None,
        )
        df = self.tables.spark.createDataFrame([row], LEASE_SCHEMA)
        # The event is in the commit too, so the state can be read from the log without a Spark job.
        event = dict(zip(LEASE_SCHEMA.fieldNames(), row, strict=True))
        event = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in event.items()}
        self.tables.append(
            df,
            LEASE_TABLE,
            txn_app_id=LEASE_APP_ID,
            txn_version=seq,
            user_metadata={"run_id": self.run_id, "job": f"lease:{action}", "lease": event},
        )

    def _claim(self, seq: int, action: str) -> bool:
        """Append event ``seq``; True when the row ``seq`` that exists afterwards is ours."""
        try:
            self._append(seq, action)
        except Exception as exc:
            if not _is_conflict(exc):
                raise
            log.info("lease: event %d was committed concurrently by another run", seq)
            return False
        logged = [e for e in _logged_events(self.tables)[0] if e.seq == seq]
        if logged:
            return logged[0].run_id == self.run_id and logged[0].action == action
        row = self.tables.read(LEASE_TABLE).where(F.col("seq") == seq).select("run_id", "action").head()
        return row is not None and row["run_id"] == self.run_id and row["action"] == action

    def _create_table(self) -> None:
        try:
            self.tables.ensure(LEASE_TABLE, LEASE_SCHEMA)
        except Exception:
            # Two first runs creating the table at once: one wins, the other finds it there.
            if not self.tables.exists(LEASE_TABLE):
                raise

    def acquire(self) -> None:
        """Take the lease, waiting up to ``lease.wait_seconds`` for a live holder to finish.

        Raises:
            LeaseHeldError: another live run holds it (after waiting, if configured).
        """
        self._create_table()
        deadline = time.monotonic() + self.settings.wait_seconds
        while True:
            state = current_state(self.tables)
            if state is not None and state.held(_now()):
                if time.monotonic() >= deadline:
                    raise LeaseHeldError(
                        f"lakehouse {self.tables.settings.root} is in use by {state.describe()}; "
                        "wait for it to finish (or set lakehouse.lease.wait_seconds), or if that run is "
                        "gone run `dq-engine unlock`"
                    )
                time.sleep(min(self.settings.poll_seconds, max(deadline - time.monotonic(), 0.1)))
                continue
            if state is not None and state.action in HOLDING:
                log.warning("lease: taking over the stale lease of %s", state.describe())
            seq = 0 if state is None else state.seq + 1
            if self._claim(seq, "acquire"):
                self.seq = seq
                break
        if self.settings.heartbeat_seconds > 0:
            self._thread = threading.Thread(target=self._heartbeat, name="dq-engine-lease", daemon=True)
            self._thread.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_seconds):
            try:
                self.renew()
            except Exception as exc:  # noqa: BLE001 - reported through check(), never kills the job
                log.warning("lease: renewal failed: %s", exc)
            if self.lost:
                return

    def renew(self) -> None:
        """Extend the lease by ``ttl_seconds``; marks it lost if another event came in between."""
        if self.seq is None or self.lost:
            return
        state = current_state(self.tables)
        if state is None or state.seq != self.seq or state.run_id != self.run_id:
            self.lost = (
                "taken over" if state is None else f"taken over by {state.action} of {state.describe()}"
            )
            log.error("lease: lost (%s)", self.lost)
            return
        if self._claim(self.seq + 1, "renew"):
            self.seq += 1
        else:
            self.lost = "a concurrent event was committed over this run's lease"

    def check(self) -> None:
        """Raise :class:`LeaseLostError` if the lease was lost; called between a job's steps."""
        if self.lost:
            raise LeaseLostError(f"run {self.run_id} lost the lakehouse lease ({self.lost}); stopped")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(self.settings.heartbeat_seconds, 1) + 60)
        if self.seq is None or self.lost:
            return
        state = current_state(self.tables)
        if state is not None and state.seq == self.seq and state.run_id == self.run_id:
            self._claim(self.seq + 1, "release")
        self.seq = None


@contextmanager
def hold(tables: Tables, run_id: str, job: str) -> Iterator[Lease]:
    """Hold the lakehouse lease around a block; released on exit, also when the block raises."""
    lease = Lease(tables, run_id, job)
    if not tables.settings.lease.enabled:
        yield lease
        return
    lease.acquire()
    try:
        yield lease
    except BaseException:
        try:
            lease.release()
        except Exception as exc:  # noqa: BLE001 - e.g. the failure stopped the SparkContext
            # The block's error is the one to report. The lease stays until it expires, or until the
            # next run on this host sees this process gone and takes it over at once.
            log.error("lease: not released after the failure (%s: %s)", type(exc).__name__, str(exc)[:300])
        raise
    lease.release()


def break_lease(tables: Tables, run_id: str, attempts: int = 5) -> LeaseState | None:
    """Mark the lease free whoever holds it (``dq-engine unlock``); returns the state it replaced.

    A live holder renewing at the same moment can win the race for the next event; the break is then
    tried again on the new state, ``attempts`` times in all.
    """
    breaker = Lease(tables, run_id, "unlock")
    for _ in range(attempts):
        state = current_state(tables)
        if state is None or state.action not in HOLDING:
            return None
        if breaker._claim(state.seq + 1, "break"):
            return state
    raise LeaseHeldError("the lease kept changing while unlocking; run `dq-engine unlock` again")
