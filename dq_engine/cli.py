"""``dq-engine`` command line: jobs, table history / time travel / restore, and single-stage runs.

Errors: every command runs inside one handler (:class:`DqEngineGroup`). A bad configuration, a bad
argument or a failing job prints exactly one line on stderr (``error: ...``) and exits 1 (2 stays "the
audit blocked the publish"); no Python or Java stack trace reaches the terminal. An unexpected error's
line names the exception type and the log file that holds its full trace; ``--verbose`` (anywhere on
the command line) or ``DQ_ENGINE_DEBUG=1`` prints the trace instead. Spark's own console log (JVM
warnings, task errors) goes to the same log file when the CLI starts the JVM.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from dq_engine.config.loader import ConfigError, load_config, load_pipeline, parse_override
from dq_engine.config.models import AppConfig, LakehouseSettings, PipelineSettings, StageSpec
from dq_engine.errors import OperatorError, one_line

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

VERBOSE_FLAG = "--verbose"
_state: dict[str, Any] = {"verbose": False, "log_path": None}


class CliError(Exception):
    """A user-facing error: its message is printed as the one ``error:`` line."""


def _verbose() -> bool:
    return bool(_state["verbose"]) or bool(os.environ.get("DQ_ENGINE_DEBUG"))


def log_path() -> Path:
    """This invocation's log file (JVM console output, traces of unexpected errors); created on demand.

    ``DQ_ENGINE_LOG_DIR`` chooses the folder (default: ``<tmp>/dq-engine``).
    """
    if _state["log_path"] is None:
        folder = Path(os.environ.get("DQ_ENGINE_LOG_DIR") or Path(tempfile.gettempdir()) / "dq-engine")
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        _state["log_path"] = folder / f"dq-engine-{stamp}-{os.getpid()}.log"
    path: Path = _state["log_path"]
    return path


def _is_user_error(exc: BaseException) -> bool:
    """Errors whose message says what to fix (config, names, paths, columns): no trace is needed."""
    if isinstance(
        exc, CliError | OperatorError | ValueError | FileNotFoundError | NotADirectoryError | PermissionError
    ):
        return True
    try:
        from pyspark.errors import AnalysisException
    except ImportError:  # pragma: no cover - pyspark is a dependency
        return False
    return isinstance(exc, AnalysisException)


def _report_error(exc: BaseException) -> int:
    """Print the one ``error:`` line for ``exc`` (and its trace when verbose); return the exit code."""
    cause = exc.__cause__ if isinstance(exc, CliError) and exc.__cause__ is not None else exc
    if _verbose():
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        typer.echo(f"error: {one_line(exc)}", err=True)
        return 1
    if _is_user_error(cause):
        typer.echo(f"error: {one_line(exc)}", err=True)
        return 1
    path = log_path()
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"--- {datetime.now(timezone.utc).isoformat()} dq-engine {' '.join(sys.argv[1:])}\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=fh)
    what = one_line(exc) if isinstance(exc, CliError) else f"{type(exc).__name__}: {one_line(exc)}"
    typer.echo(f"error: {what} (trace in {path}; {VERBOSE_FLAG} prints it)", err=True)
    return 1


class DqEngineGroup(TyperGroup):
    """The command group with the CLI's one error handler around parsing and every command."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        # --verbose is accepted anywhere (before a "--"), so it can be added to any failing command.
        end = argv.index("--") if "--" in argv else len(argv)
        _state["verbose"] = VERBOSE_FLAG in argv[:end]
        _state["log_path"] = None  # one log file per invocation
        argv = [a for a in argv[:end] if a != VERBOSE_FLAG] + argv[end:]
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        except TyperException as exc:  # Typer's own (vendored Click) usage errors
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()  # type: ignore[attr-defined]  # `dq-engine` alone prints the help
                code = 0
            else:
                ctx = getattr(exc, "ctx", None)  # set on usage errors
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                typer.echo(f"error: {' '.join(exc.format_message().split())}{hint}", err=True)
                code = 1
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            code = 1
        except typer.Exit as exc:
            code = exc.exit_code
        except Exception as exc:  # noqa: BLE001 - the CLI's single error handler
            code = _report_error(exc)
        if not standalone_mode:
            return code
        sys.exit(code)


app = typer.Typer(
    name="dq-engine",
    help="Distributed data-quality engine on Spark: ingest -> curate -> audit -> publish, on Delta tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=DqEngineGroup,
)


@app.callback()
def _options(
    verbose: Annotated[
        bool,
        typer.Option(
            VERBOSE_FLAG, help="On an error, print the full trace (also accepted after the command)."
        ),
    ] = False,
) -> None:
    """Distributed data-quality engine on Spark: ingest -> curate -> audit -> publish, on Delta tables."""


@contextlib.contextmanager
def _stderr_to_log() -> Iterator[None]:
    """Point file descriptor 2 at the log file while the JVM starts, so the JVM writes its console log
    (log4j warnings, task errors) there for its whole life; Python's stderr is restored after."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with log_path().open("ab") as fh:
            os.dup2(fh.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _session(config: AppConfig) -> SparkSession:
    """The config's SparkSession; a JVM started here logs to :func:`log_path`, not the terminal."""
    from pyspark import SparkContext

    from dq_engine.runner import session_for

    if SparkContext._gateway is not None or _verbose():  # an adopted session, or the user wants it all
        return session_for(config)
    with _stderr_to_log():
        return session_for(config)


ConfDir = Annotated[
    Path, typer.Option("--conf-dir", help="Folder with base.yaml, env/, pipelines/, constraints/.")
]
Env = Annotated[str | None, typer.Option("--env", help="Environment overlay: conf/env/<ENV>.yaml.")]
Sets = Annotated[
    list[str] | None, typer.Option("--set", help="Override a config key, e.g. --set lakehouse.root=/tmp/lh.")
]


def _config(conf_dir: Path, env: str | None, sets: list[str] | None) -> AppConfig:
    if not conf_dir.is_dir():
        raise ConfigError(f"--conf-dir {conf_dir}: no such directory")
    return load_config(conf_dir, env=env, overrides=sets or [])


def _job(job: str, conf_dir: Path, env: str | None, sets: list[str] | None, as_json: bool) -> None:
    from dq_engine.runner import format_summary, run_job

    config = _config(conf_dir, env, sets)
    from pyspark.sql import SparkSession

    from dq_engine.spark.session import stop_session
    from dq_engine.versioning.lease import LeaseHeldError

    owns_session = SparkSession.getActiveSession() is None
    spark = _session(config)
    try:
        report = run_job(job, config, spark)  # type: ignore[arg-type]
    except LeaseHeldError as exc:
        raise CliError(f"{job} not started: {exc}") from exc
    except OperatorError as exc:
        raise CliError(f"{job} stopped: {exc}") from exc
    except Exception as exc:
        # The MLflow run is marked FAILED and ops.runs has a `failed` row with this message.
        raise CliError(f"{job} failed: {type(exc).__name__}: {one_line(exc)}") from exc
    finally:
        if owns_session:
            stop_session(spark)
    if as_json:
        typer.echo(json.dumps(_report_json(report), indent=2, default=str))
    else:
        typer.echo(format_summary(report))
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _report_json(report: object) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(report)  # type: ignore[call-overload, no-any-return]


@app.command()
def ingest(
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest new landing files into bronze.documents / bronze.quarantine (exactly once)."""
    _job("ingest", conf_dir, env, set_, as_json)


@app.command()
def curate(
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the curate pipeline on new bronze rows -> silver.documents + silver.rejections."""
    _job("curate", conf_dir, env, set_, as_json)


@app.command()
def audit(
    table: Annotated[
        str | None,
        typer.Option("--table", help="Re-audit this table instead (no publish), e.g. gold_documents."),
    ] = None,
    version: Annotated[int | None, typer.Option(help="With --table: the Delta version to audit.")] = None,
    suite: Annotated[
        str | None, typer.Option(help="Suite name under conf/constraints/ or a .yaml/.dqdl path.")
    ] = None,
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the Deequ suite on unpublished silver rows; publish to gold.documents when it passes.

    With --table (and --version), re-audit any table version (time travel) without publishing: results
    go to ops.dq_results / ops.dq_metrics, the metric history is read but not extended. Exit 2 when an
    error-level constraint fails.
    """
    if table is None:
        if version is not None:
            raise CliError("--version needs --table")
        sets = [*(set_ or []), *([f"audit.suite={suite}"] if suite else [])]
        _job("audit", conf_dir, env, sets, as_json)
        return
    _reaudit(table, version, suite, conf_dir, env, set_)


def _reaudit(
    table: str,
    version: int | None,
    suite: str | None,
    conf_dir: Path,
    env: str | None,
    sets: list[str] | None,
) -> None:
    from dq_engine.constraints import SuiteConfigError
    from dq_engine.core.audit import AuditFailedError, reaudit
    from dq_engine.core.context import RunContext, new_run_id

    tables = _tables(conf_dir, env, sets, table)
    _check_table(tables, table)
    config = _config(conf_dir, env, sets)
    ctx = RunContext(spark=tables.spark, config=config, tables=tables, run_id=new_run_id())
    try:
        result = reaudit(ctx, table, version, suite)
    except AuditFailedError as exc:
        typer.echo(str(exc))
        raise typer.Exit(2) from None
    except SuiteConfigError as exc:
        raise CliError(f"suite: {one_line(exc)}") from exc
    typer.echo(
        f"audit ({result.suite}) of {table} version {result.silver_to}: {len(result.checks)} constraints, "
        f"passed; nothing published (run {ctx.run_id})"
    )
    for line in result.report_lines():
        typer.echo(line)


@app.command()
def metrics(
    table: Annotated[str, typer.Option("--table", help="The audited table, e.g. silver_documents.")],
    limit: Annotated[int, typer.Option(help="Most recent runs to show.")] = 10,
    name: Annotated[
        str | None, typer.Option(help="Only metrics whose name or instance contains this text.")
    ] = None,
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
) -> None:
    """Print the Deequ metric history of a table: one row per run and metric, oldest first."""
    from pyspark.sql import functions as F

    from dq_engine.constraints import load_history, repository_path

    tables = _tables(conf_dir, env, set_, table)
    config = _config(conf_dir, env, set_)
    path = repository_path(config.lakehouse.root, table)
    history = load_history(tables.spark, path)
    runs = [
        r[0]
        for r in history.select("dataset_date")
        .distinct()
        .orderBy(F.desc("dataset_date"))
        .limit(limit)
        .collect()
    ]
    if not runs:
        typer.echo(f"no metric history for {table} at {path}")
        return
    rows = history.where(F.col("dataset_date").isin(runs))
    if name:
        rows = rows.where(F.col("name").contains(name) | F.col("instance").contains(name))
    typer.echo(f"metric history of {table} ({path}), last {len(runs)} run(s)")
    typer.echo(f"{'run_time':<24} {'run_id':<26} {'version':>7}  {'metric':<58} {'value':>14}")
    for r in rows.collect():  # the history holds a few numbers per run
        metric = f"{r['name']}({r['instance']})" if r["instance"] != "*" else r["name"]
        typer.echo(
            f"{str(r['run_time'])[:23]:<24} {str(r['run_id'] or ''):<26} {str(r['table_version'] or ''):>7}  "
            f"{metric[:58]:<58} {r['value']:>14.6g}"
        )


@app.command()
def suggest(
    table: Annotated[str, typer.Option("--table", help="The table to profile, e.g. silver_documents.")],
    version: Annotated[
        int | None, typer.Option(help="The Delta version to profile (default latest).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(help="Where to write the suite (default conf/constraints/<table>_suggested.yaml)."),
    ] = None,
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
) -> None:
    """Write a starter YAML suite from Deequ's constraint suggestions; it passes on the table it came from."""
    from dq_engine.constraints.suggest import suggest_suite

    tables = _tables(conf_dir, env, set_, table)
    _check_table(tables, table)
    df = tables.read(table, version)
    resolved = version if version is not None else tables.current_version(table)
    suggestion = suggest_suite(tables.spark, df, name=f"{table}_suggested")
    target = output or conf_dir / "constraints" / f"{table}_suggested.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(suggestion.to_yaml(f"{table} version {resolved}"), encoding="utf-8")
    n = sum(len(c.constraints) for c in suggestion.suite.checks)
    typer.echo(f"wrote {target}: {n} constraints suggested from {table} version {resolved}")
    for note in suggestion.left_out:
        typer.echo(f"  left out: {note}")


@app.command()
def run(
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """ingest + curate + audit/publish in one MLflow run. Exit 2 when the audit blocks publishing."""
    _job("run", conf_dir, env, set_, as_json)


def _tables(conf_dir: Path, env: str | None, sets: list[str] | None, table: str | None = None):  # type: ignore[no-untyped-def]
    """The config's tables on its Spark session; ``table``, when given, is checked before Spark starts."""
    from dq_engine.versioning.tables import DEFAULT_LAYOUT, TableError, Tables

    config = _config(conf_dir, env, sets)
    if table is not None and table not in DEFAULT_LAYOUT and table not in config.lakehouse.tables:
        known = sorted({*DEFAULT_LAYOUT, *config.lakehouse.tables})
        raise TableError(f"unknown table {table!r}; known: {', '.join(known)}")
    return Tables(_session(config), config.lakehouse)


def _check_table(tables, table: str) -> None:  # type: ignore[no-untyped-def]
    if not tables.exists(table):
        raise CliError(f"table {table} does not exist at {tables.describe(table)}")


@app.command()
def history(
    table: Annotated[str, typer.Argument(help="Logical table name, e.g. silver_documents.")],
    limit: Annotated[int, typer.Option(help="Most recent versions to show.")] = 20,
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
) -> None:
    """Delta versions of a table with the run id and job that wrote each."""
    tables = _tables(conf_dir, env, set_, table)
    _check_table(tables, table)
    rows = tables.history(table, limit).drop("userMetadata").collect()
    typer.echo(f"{'version':>7}  {'timestamp':<26} {'operation':<18} {'job':<10} {'rows':>7}  run_id")
    for r in rows:
        typer.echo(
            f"{r['version']:>7}  {str(r['timestamp']):<26} {r['operation']:<18} {str(r['job'] or ''):<10} "
            f"{str(r['rows_written'] or ''):>7}  {r['run_id'] or ''}"
        )


@app.command()
def show(
    table: Annotated[str, typer.Argument(help="Logical table name.")],
    version: Annotated[int | None, typer.Option(help="Time travel: read this Delta version.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    where: Annotated[
        str | None, typer.Option(help="Spark SQL filter, e.g. \"reason = 'too_short'\".")
    ] = None,
    count: Annotated[bool, typer.Option("--count", help="Print only the row count.")] = False,
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
) -> None:
    """Print rows of a table, at its latest version or at --version N."""
    tables = _tables(conf_dir, env, set_, table)
    _check_table(tables, table)
    df = tables.read(table, version)
    if where:
        df = df.where(where)
    if count:
        typer.echo(str(df.count()))
        return
    df.show(limit, truncate=60, vertical=False)


@app.command()
def restore(
    table: Annotated[str, typer.Argument(help="Logical table name.")],
    version: Annotated[int, typer.Option(help="Version to restore to (a new commit; history is kept).")],
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
) -> None:
    """Restore a table to an earlier Delta version, and the rest of the lakehouse in step with it.

    A silver table rewinds every silver table, gold and the watermarks to the same bronze version, so
    the next run re-curates what the restore removed; gold alone is an unpublish; bronze and ops tables
    are refused (README "Crashes and reruns").
    """
    from dq_engine.core.context import new_run_id
    from dq_engine.core.rewind import restore_table
    from dq_engine.versioning.lease import hold

    tables = _tables(conf_dir, env, set_, table)
    _check_table(tables, table)
    run_id = new_run_id()
    with hold(tables, run_id, "restore"):
        lines = restore_table(tables, table, version, run_id)
    typer.echo(f"restore {table} --version {version} (run {run_id}):")
    for line in lines:
        typer.echo(f"  {line}")


@app.command()
def unlock(
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
    set_: Sets = None,
) -> None:
    """Break the lakehouse's writer lease, for a run that died on another machine.

    A run killed on this machine is taken over by the next run at once, and any lease is taken over
    ``lakehouse.lease.ttl_seconds`` after its holder stopped renewing; unlock only saves that wait.
    Never unlock a run that is still going: two writers can then double rows.
    """
    from dq_engine.core.context import new_run_id
    from dq_engine.versioning.lease import break_lease, current_state

    tables = _tables(conf_dir, env, set_)
    broken = break_lease(tables, new_run_id())
    if broken is None:
        state = current_state(tables)
        typer.echo(
            "the lease is free" + (f" (last event: {state.action} by run {state.run_id})" if state else "")
        )
        return
    typer.echo(f"unlocked: the lease of {broken.describe()} is broken")


@app.command("apply-stage")
def apply_stage(
    name: Annotated[str, typer.Argument(help="A registered stage name, or a pipeline under conf/pipelines.")],
    input_path: Annotated[
        Path, typer.Option("--input", help="Parquet or JSON-lines documents with id, text.")
    ],
    output_path: Annotated[Path, typer.Option("--output", help="Parquet folder for annotated documents.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Stage param, e.g. --set min_chars=50.")
    ] = None,
    id_column: Annotated[str, typer.Option(help="Input column holding the document id.")] = "id",
    text_column: Annotated[str, typer.Option(help="Input column holding the text.")] = "text",
    conf_dir: ConfDir = Path("conf"),
    env: Env = None,
) -> None:
    """Run one stage (or a named pipeline) on a file of documents and write scores/flags as Parquet.

    The stage sees only the input file: cross-batch lookups (e.g. exact_dedup against silver) run
    against an empty lakehouse, so results depend on the file alone.
    """
    from dq_engine.core.apply import apply_to_file
    from dq_engine.core.registry import stage_names

    config = _config(conf_dir, env, None)
    if not input_path.exists():
        raise CliError(f"--input {input_path}: no such file or directory")
    params: dict[str, object] = {}
    for item in set_ or []:
        parts, value = parse_override(item)
        node = params
        for part in parts[:-1]:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[parts[-1]] = value
    stages = stage_names()
    if name in stages:
        pipeline = PipelineSettings(name=name, stages=[StageSpec(stage=name, params=params)])
    elif (Path(config.conf_dir) / "pipelines" / f"{name}.yaml").exists() or name.endswith((".yaml", ".yml")):
        if params:
            raise CliError("--set is for a single stage; edit the pipeline YAML instead")
        pipeline = load_pipeline(config, name)
    else:
        raise CliError(f"unknown stage or pipeline {name!r}; stages: {', '.join(stages)}")
    with tempfile.TemporaryDirectory(prefix="dq-apply-") as scratch:
        config = config.model_copy(update={"lakehouse": LakehouseSettings(root=scratch)})
        summary = apply_to_file(
            _session(config),
            config,
            pipeline,
            input_path,
            output_path,
            id_column=id_column,
            text_column=text_column,
        )
    typer.echo(json.dumps(summary, indent=2, sort_keys=True))


@app.command()
def stages() -> None:
    """List registered stages with the columns they require and add."""
    from dq_engine.core.registry import registered_stages
    from dq_engine.core.stage import Filter

    for stage_name, cls in registered_stages().items():
        kind = "filter" if issubclass(cls, Filter) else "stage"
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        typer.echo(f"{stage_name:<16} {kind:<6} requires={list(cls.requires)} adds={list(cls.adds)}  {doc}")


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app(prog_name="dq-engine")


if __name__ == "__main__":
    main()
