"""``dq-engine restore``: a table back to an earlier version, with the rest of the lakehouse in step.

Restoring ``silver.documents`` alone would leave the other silver tables, gold and the ``ops.runs``
watermarks pointing past it: the next run would curate nothing (its watermark is ahead) and the next
audit would read the change feed across the RESTORE, where the removed rows look like inserts. So a
restore is planned for the whole lakehouse, checked, and then carried out:

* **A curate output** (``silver_documents``, ``silver_rejections``, ``silver_dedup_clusters``,
  ``silver_minhash_index``, ``silver_pii_findings``) at version N holds bronze up to version B (read
  from its commits, :mod:`dq_engine.versioning.lineage`). Every curate output goes back to its newest
  version holding bronze <= B (emptied if it has none), gold to its newest version holding <= B, the
  curate watermark to B and the publish watermark to silver's new version. The next ``run`` re-curates
  bronze (B, latest] under a new idempotency epoch (:func:`dq_engine.core.curate.curate_app_id`) and
  publishes it. Refused, before anything is written, when silver would then hold rows gold never got
  (curated but not published): the message names the newest version that can be restored.
* **gold_documents** at version N: unpublish. Gold goes back; the watermarks stay, so the next run does
  not publish those rows again (they stay in silver). To re-publish them, restore silver as well.
* **bronze and ops tables**: refused. Bronze is the record of what landed (the ingest checkpoints would
  not land those files again) and ``ops`` tables are the engine's own bookkeeping.
* any other configured table: a plain Delta restore.

Every table a curate rewind touches gets a commit tagged ``{"job": "rewind", "run_id": ...}``, and the
closing ``ops.runs`` row (``job = curate, status = rewound``) is written last: a restore that dies half
way leaves tables whose rewind has no closing row, and curate and audit refuse until the same restore
command is run again (:mod:`dq_engine.core.provenance`). Callers hold the lakehouse lease.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from dq_engine.core.provenance import (
    CURATE_JOBS,
    CURATE_OUTPUTS,
    PUBLISH_JOBS,
    output_holdings,
    silver_bronze_version,
)
from dq_engine.versioning.lineage import Holding, commit_log, holding, versions_holding_at_most
from dq_engine.versioning.runs import REWOUND, record_run
from dq_engine.versioning.tables import DEFAULT_LAYOUT, TableError, Tables

GOLD = "gold_documents"


class RestoreRefusedError(ValueError):
    """A restore that would leave the lakehouse inconsistent, or of a table that must not be restored."""


@dataclass
class TableStep:
    """What a restore does to one table: ``restore`` to ``target``, ``empty`` it, or ``mark`` it.

    ``mark`` (an empty commit) records the rewind in a table whose content already fits, so every curate
    output carries the new epoch and the rewind's run id.
    """

    table: str
    action: Literal["restore", "empty", "mark"]
    target: int | None
    holds: int | None  # bronze version the table holds afterwards (None: nothing)


@dataclass
class RestorePlan:
    table: str
    version: int
    kind: Literal["curate", "gold", "plain"]
    bronze_version: int | None = None
    steps: list[TableStep] = field(default_factory=list)
    gold: TableStep | None = None
    notes: list[str] = field(default_factory=list)


def _at_most(value: int | None, bound: int | None) -> bool:
    """``value <= bound`` where None means "nothing" (below everything)."""
    return value is None or (bound is not None and value <= bound)


def gold_bronze_version(tables: Tables, found: Holding) -> int | None:
    """The bronze version gold holds (publish commits record it; older ones only the silver version)."""
    bronze = found.get("bronze_version")
    silver = found.get("silver_version")
    if bronze is None and silver is not None:
        bronze = silver_bronze_version(tables, silver)
    return bronze


def plan_restore(tables: Tables, table: str, version: int) -> RestorePlan:
    """Work out what restoring ``table`` to ``version`` does to every table; writes nothing.

    Raises:
        TableError: the table does not exist or has no such version.
        RestoreRefusedError: a bronze/ops table, or a restore that would leave gold behind silver.
    """
    layer = DEFAULT_LAYOUT.get(table, ("", ""))[0]
    if layer in ("bronze", "ops"):
        raise RestoreRefusedError(
            f"{table} is not restored by dq-engine: "
            + (
                "bronze is the record of what landed and the ingest checkpoints would not land those files "
                "again; restore silver_documents to re-curate instead"
                if layer == "bronze"
                else "ops tables are the engine's own bookkeeping"
            )
        )
    current = tables.current_version(table)
    if current is None:
        raise TableError(f"table {table!r} does not exist at {tables.describe(table)}")
    if not 0 <= version <= current:
        raise TableError(f"table {table!r} has versions 0..{current}, not {version}")
    if table == GOLD:
        return RestorePlan(table, version, "gold", gold=TableStep(GOLD, "restore", version, None))
    if table not in CURATE_OUTPUTS:
        return RestorePlan(table, version, "plain")

    at = holding(tables, table, CURATE_JOBS, version)
    bound = None if at is None else at.get("bronze_version")
    plan = RestorePlan(table, version, "curate")
    holdings = output_holdings(tables)
    for h in holdings:
        held = h.get("bronze_version")
        if h.external_restore is not None and not _at_most(bound, held):
            plan.notes.append(
                f"{h.table} was restored outside dq-engine to a version holding bronze up to {held}: "
                f"everything is rewound to that instead of {bound}"
            )
            bound = held
    plan.bronze_version = bound
    for h in holdings:
        if h.external_restore is None and _at_most(h.get("bronze_version"), bound):
            plan.steps.append(TableStep(h.table, "mark", None, h.get("bronze_version")))
            continue
        target, found = versions_holding_at_most(
            tables, h.table, CURATE_JOBS, bound, lambda x: x.get("bronze_version")
        )
        if target is None or found is None:
            plan.steps.append(TableStep(h.table, "empty", None, None))
        else:
            plan.steps.append(TableStep(h.table, "restore", target, found.get("bronze_version")))

    silver = next((s for s in plan.steps if s.table == "silver_documents"), None)
    gold_now = holding(tables, GOLD, PUBLISH_JOBS)
    if gold_now is None:
        return plan
    gold_held = gold_bronze_version(tables, gold_now)
    if not _at_most(gold_held, bound):
        target, found = versions_holding_at_most(
            tables, GOLD, PUBLISH_JOBS, bound, lambda x: gold_bronze_version(tables, x)
        )
        gold_held = None if found is None else gold_bronze_version(tables, found)
        plan.gold = TableStep(GOLD, "empty" if target is None else "restore", target, gold_held)
    silver_held = None if silver is None else silver.holds
    if not _at_most(silver_held, gold_held):
        newest, _ = versions_holding_at_most(
            tables, "silver_documents", CURATE_JOBS, gold_held, lambda x: x.get("bronze_version")
        )
        raise RestoreRefusedError(
            f"silver_documents would hold bronze versions up to {silver_held} but gold_documents only up to "
            f"{gold_held}: the rows between were curated and never published (the audit blocked them or "
            f"did not run). Restore to silver_documents version {newest} or earlier, or publish first "
            "(`dq-engine audit`)"
        )
    return plan


def _next_epoch(tables: Tables) -> int:
    epochs = [
        int(c.metadata.get("epoch") or 0)
        for name in CURATE_OUTPUTS
        if tables.exists(name)
        for c in commit_log(tables, name).values()
    ]
    return max(epochs, default=0) + 1


def apply_restore(tables: Tables, plan: RestorePlan, run_id: str) -> list[str]:
    """Carry out ``plan``; returns one line per table touched and what the next run will do."""
    started = datetime.now(timezone.utc)
    if plan.kind == "plain":
        tables.restore(plan.table, plan.version)
        return [f"{plan.table}: restored to version {plan.version}"]
    if plan.kind == "gold":
        at = holding(tables, GOLD, PUBLISH_JOBS, plan.version)
        meta = {
            "run_id": run_id,
            "job": "rewind",
            "restore": f"{GOLD} --version {plan.version}",
            "silver_version": None if at is None else at.get("silver_version"),
            "bronze_version": None if at is None else gold_bronze_version(tables, at),
        }
        tables.restore(GOLD, plan.version, meta)
        return [
            f"{GOLD}: restored to version {plan.version} (now version {tables.current_version(GOLD)})",
            "watermarks unchanged: the rows this removed from gold stay in silver and are not published "
            "again; restore silver_documents too to re-curate and re-publish them",
        ]

    epoch = _next_epoch(tables)
    base: dict[str, Any] = {
        "run_id": run_id,
        "job": "rewind",
        "epoch": epoch,
        "restore": f"{plan.table} --version {plan.version}",
    }
    lines = list(plan.notes)
    for step in plan.steps:
        meta = {**base, "bronze_version": step.holds}
        if step.action == "restore" and step.target is not None:
            tables.restore(step.table, step.target, meta)
            what = f"restored to version {step.target}"
        elif step.action == "empty":
            tables.delete_all(step.table, meta)
            what = "emptied (no version held only bronze that old)"
        else:
            empty = tables.spark.createDataFrame([], tables.read(step.table).schema)
            tables.append(empty, step.table, user_metadata=meta)
            what = "unchanged"
        lines.append(
            f"{step.table}: {what}; holds bronze up to {step.holds} (now version "
            f"{tables.current_version(step.table)})"
        )
    silver_now = tables.current_version("silver_documents")
    if plan.gold is not None:
        meta = {**base, "silver_version": silver_now, "bronze_version": plan.gold.holds}
        if plan.gold.action == "restore" and plan.gold.target is not None:
            tables.restore(GOLD, plan.gold.target, meta)
            lines.append(f"{GOLD}: restored to version {plan.gold.target}")
        else:
            tables.delete_all(GOLD, meta)
            lines.append(f"{GOLD}: emptied")
    if tables.exists(GOLD):
        rejections_now = tables.current_version("silver_rejections")
        record_run(
            tables,
            run_id=run_id,
            job="publish",
            status=REWOUND,
            started_at=started,
            input_versions={"silver_documents": silver_now, "silver_rejections": rejections_now},
            message=f"restore {plan.table} --version {plan.version}",
        )
        lines.append(f"ops.runs: publish watermark -> silver_documents version {silver_now}")
    # Written last: its presence is what tells curate and audit that this rewind finished.
    record_run(
        tables,
        run_id=run_id,
        job="curate",
        status=REWOUND,
        started_at=started,
        input_versions={"bronze_documents": plan.bronze_version},
        message=f"restore {plan.table} --version {plan.version}",
    )
    bronze_now = tables.current_version("bronze_documents")
    lines.append(
        f"ops.runs: curate watermark -> bronze_documents version {plan.bronze_version}; the next run "
        f"re-curates bronze versions ({plan.bronze_version}, {bronze_now}] and publishes what passes"
    )
    return lines


def restore_table(tables: Tables, table: str, version: int, run_id: str) -> list[str]:
    """Plan and carry out ``dq-engine restore TABLE --version N`` (see the module docstring)."""
    return apply_restore(tables, plan_restore(tables, table, version), run_id)
