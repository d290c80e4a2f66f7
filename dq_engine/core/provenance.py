"""Which bronze and silver versions the silver and gold tables hold, and the checks built on it.

Curate and publish decide what to read next from ``ops.runs`` watermarks *and* from the tables' own
commits (:mod:`dq_engine.versioning.lineage`). When the two disagree in a way a crash cannot explain -
a table restored behind the engine's back, or a ``dq-engine restore`` that stopped half way - the jobs
refuse with one line saying what to run, instead of curating on top of an inconsistent lakehouse.
"""

from __future__ import annotations

from dq_engine.errors import OperatorError
from dq_engine.versioning.lineage import Holding, holding
from dq_engine.versioning.runs import REWOUND
from dq_engine.versioning.tables import Tables

#: Every table the curate job appends to, all with the same idempotency key per bronze version.
CURATE_OUTPUTS = (
    "silver_documents",
    "silver_rejections",
    "silver_dedup_clusters",
    "silver_minhash_index",
    "silver_pii_findings",
)
#: Commits whose ``userMetadata`` says which bronze versions a curate output holds.
CURATE_JOBS = ("curate", "rewind")
#: Commits whose ``userMetadata`` says which silver (and bronze) versions gold holds.
PUBLISH_JOBS = ("publish", "rewind")


class InconsistentLakehouseError(OperatorError):
    """The tables' commits and ``ops.runs`` disagree; the message says which command repairs it."""


def output_holdings(tables: Tables) -> list[Holding]:
    """What each existing curate output holds now."""
    found = (holding(tables, name, CURATE_JOBS) for name in CURATE_OUTPUTS)
    return [h for h in found if h is not None]


def committed_bronze_version(holdings: list[Holding]) -> int | None:
    """The newest bronze version any curate output holds.

    Each curate commit carries ``{"job": "curate", "bronze_version": N, "epoch": E}`` as Delta
    ``userMetadata``; a ``dq-engine restore`` commit carries the bronze version it rewound to.
    """
    return max((v for h in holdings if (v := h.get("bronze_version")) is not None), default=None)


def current_epoch(holdings: list[Holding]) -> int:
    """The restore epoch the outputs are in (0 until the first ``dq-engine restore``)."""
    return max((h.get("epoch") or 0 for h in holdings), default=0)


def silver_bronze_version(tables: Tables, silver_version: int) -> int | None:
    """The bronze version ``silver.documents`` held at ``silver_version`` (recorded with each publish)."""
    found = holding(tables, "silver_documents", CURATE_JOBS, silver_version)
    return None if found is None else found.get("bronze_version")


def finished_rewinds(tables: Tables, run_ids: set[str]) -> set[str]:
    """Those of ``run_ids`` for which ``dq-engine restore`` wrote its closing ``ops.runs`` row."""
    if not run_ids or not tables.exists("ops_runs"):
        return set()
    runs = tables.read("ops_runs")
    rows = (
        runs.where((runs["status"] == REWOUND) & (runs["job"] == "curate"))
        .select("run_id")
        .distinct()
        .collect()
    )
    return {r["run_id"] for r in rows} & run_ids


def _check_rewinds_finished(tables: Tables, holdings: list[Holding]) -> None:
    pending = {str(h.metadata.get("run_id")): h for h in holdings if h.metadata.get("job") == "rewind"}
    unfinished = set(pending) - finished_rewinds(tables, set(pending))
    if unfinished:
        h = pending[sorted(unfinished)[0]]
        raise InconsistentLakehouseError(
            f"`dq-engine restore` run {h.metadata.get('run_id')} stopped before it finished "
            f"({h.table} is rewound, ops.runs is not); run `dq-engine restore "
            f"{h.metadata.get('restore', 'silver_documents --version N')}` again"
        )


def check_outputs_consistent(tables: Tables, holdings: list[Holding], curated_through: int | None) -> None:
    """Refuse to curate when an output was restored outside the engine or a restore stopped half way.

    A ``RESTORE`` made with SQL or ``DeltaTable.restoreToVersion`` leaves ``ops.runs`` and the other
    tables where they were: curating on would skip the versions the restore removed, and reading the
    change feed across the restore would see its removed rows as inserts.

    Raises:
        InconsistentLakehouseError: naming the table, the RESTORE commit and the command that repairs it.
    """
    _check_rewinds_finished(tables, holdings)
    for h in holdings:
        held = h.get("bronze_version")
        if h.external_restore is None or curated_through is None:
            continue
        if held is None or held < curated_through:
            raise InconsistentLakehouseError(
                f"{h.table} was restored outside dq-engine (RESTORE at version {h.external_restore}) and "
                f"now holds bronze versions up to {held}, but ops.runs says curate went up to "
                f"{curated_through}; run `dq-engine restore {h.table} --version {h.version}` to rewind "
                "the other silver tables and gold with it, so the next run re-curates the rest"
            )


def check_silver_consistent(tables: Tables, published_through: int | None) -> None:
    """Refuse to publish across a RESTORE of silver that the engine did not make or did not finish.

    Raises:
        InconsistentLakehouseError: as :func:`check_outputs_consistent`.
    """
    silver = holding(tables, "silver_documents", CURATE_JOBS)
    if silver is None:
        return
    _check_rewinds_finished(tables, [silver])
    restore = silver.external_restore
    # Nothing published yet: the audit reads silver's snapshot, not the change feed across the restore.
    if restore is not None and published_through is not None and restore > published_through:
        raise InconsistentLakehouseError(
            f"silver_documents was restored outside dq-engine (RESTORE at version {restore}) after the "
            f"last publish (silver version {published_through}); run `dq-engine restore silver_documents "
            f"--version {restore}` so gold and the watermarks are rewound with it"
        )
