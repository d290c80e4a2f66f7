"""What every script under ``jobs/`` does: parse arguments, run a job, return an exit code.

One script serves two calling conventions:

- **spark-submit / EMR steps / plain Python**:
  ``jobs/run.py [--conf-path DIR|ZIP] [--env E] [--set k=v ...]``.
- **AWS Glue 5**: Glue calls the script with ``--JOB_NAME <name>`` plus its own reserved arguments
  (``--job-bookmark-option``, ``--TempDir``, ...) and the job parameters as ``--key value`` pairs. When
  ``--JOB_NAME`` is present and ``awsglue`` is importable, the Glue arguments are resolved with
  ``awsglue.utils.getResolvedOptions``, the session is wrapped in a ``GlueContext`` and the Glue
  ``Job`` is initialised and committed. A Glue job parameter can be given only once, so one ``--set``
  value may carry several overrides separated by ``;``.

Where the Glue JVM classes are missing (local development with AWS's PyPI library), ``GlueContext``
cannot be built; the job then runs on the plain SparkSession and :class:`Launch` records that fallback.

Exit codes: 0 success, 2 the audit blocked publishing, 1 anything else (one line on stderr).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from dq_engine.config.loader import ConfigError, load_config
from dq_engine.errors import one_line
from dq_engine.runner import STEPS, Job, JobReport, format_summary, run_job, session_for

log = logging.getLogger(__name__)

GLUE_JOB_NAME_ARG = "--JOB_NAME"


@dataclass
class Launch:
    """How a job script was started: which convention, and what of Glue was really used."""

    job: str
    platform: str  # "spark" or "glue"
    glue_job_name: str | None = None
    glue_context: bool = False  # a GlueContext (Glue's JVM classes) was available
    glue_fallback_reason: str | None = None
    overrides: list[str] = field(default_factory=list)
    report: JobReport | None = None


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit code 2 means "audit blocked publish" here
        raise ConfigError(f"arguments: {message}")


def _parser(job: str | None) -> argparse.ArgumentParser:
    parser = _ArgumentParser(description="Run a dq-engine job (ingest, curate, audit or run).")
    if job is None:
        parser.add_argument("job", nargs="?", default="run", choices=sorted(STEPS))
    parser.add_argument(
        "--conf-path",
        "--conf-dir",
        dest="conf_path",
        default="conf",
        help="config folder, or a .zip of it (Glue --extra-files, YARN --archives)",
    )
    parser.add_argument("--env", default=None)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE[;KEY=VALUE]",
        help="config override; repeatable, or several in one value separated by ';'",
    )
    return parser


def split_overrides(values: list[str]) -> list[str]:
    """``["a=1;b=2", "c=3"]`` -> ``["a=1", "b=2", "c=3"]`` (Glue passes each parameter once)."""
    return [part.strip() for value in values for part in value.split(";") if part.strip()]


def resolve_conf_dir(conf_path: str, scratch: Path) -> Path:
    """A config folder from ``conf_path``: the folder itself, or a zip extracted under ``scratch``.

    A zip may hold the config files at its root or inside one top folder (``conf/``).
    """
    path = Path(conf_path)
    if path.is_dir():
        return path
    if path.is_file() and zipfile.is_zipfile(path):
        target = scratch / "conf"
        with zipfile.ZipFile(path) as archive:
            archive.extractall(target)
        entries = [p for p in target.iterdir() if not p.name.startswith(".")]
        if not (target / "base.yaml").exists() and len(entries) == 1 and entries[0].is_dir():
            return entries[0]
        return target
    raise ConfigError(f"config path {conf_path!r} is neither a folder nor a zip file")


def _glue_available(argv: list[str]) -> bool:
    if GLUE_JOB_NAME_ARG not in argv:
        return False
    try:
        import awsglue.utils  # noqa: F401
    except ImportError:
        return False
    return True


def launch(argv: list[str], job: str | None = None) -> Launch:
    """Run the job ``argv`` describes (``argv[0]`` is the script) and return how it went.

    Raises:
        ConfigError: bad arguments or configuration.
    """
    args, _platform_args = _parser(job).parse_known_args(argv[1:])  # Glue adds reserved arguments
    chosen = job or args.job
    overrides = split_overrides(args.overrides)
    glue = _glue_available(argv)
    result = Launch(job=chosen, platform="glue" if glue else "spark", overrides=overrides)
    glue_args: dict[str, Any] = {}
    if glue:
        from awsglue.utils import GlueArgumentError, getResolvedOptions

        try:
            glue_args = getResolvedOptions(argv, ["JOB_NAME"])
        except (GlueArgumentError, RuntimeError) as exc:
            raise ConfigError(f"Glue arguments: {exc}") from None
        result.glue_job_name = glue_args["JOB_NAME"]
    with tempfile.TemporaryDirectory(prefix="dq-conf-") as scratch:
        conf_dir = resolve_conf_dir(args.conf_path, Path(scratch))
        config = load_config(conf_dir, env=args.env, overrides=overrides)
        spark = session_for(config)
        glue_job = None
        if glue:
            glue_job = _init_glue_job(spark, result, glue_args)
        result.report = run_job(cast(Job, chosen), config, spark)
        if glue_job is not None and result.report.exit_code != 1:
            glue_job.commit()  # Glue bookmarks advance only for a run that did its work
    return result


def _init_glue_job(spark: Any, result: Launch, glue_args: dict[str, Any]) -> Any:
    """GlueContext + ``Job.init`` on Glue; ``None`` (plain session) where Glue's JVM classes are missing."""
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job

        glue_context = GlueContext(spark.sparkContext)
        job = Job(glue_context)
        job.init(result.glue_job_name, glue_args)
    except Exception as exc:  # py4j raises plain Py4JError/TypeError for a class the JVM lacks
        detail = str(exc).splitlines()[0] if str(exc) else ""
        result.glue_fallback_reason = (
            f"Glue JVM classes (com.amazonaws.services.glue.*) missing: {type(exc).__name__}: {detail}"
        )
        log.warning("Glue JVM classes unavailable, running on the plain SparkSession (%s)", exc)
        return None
    result.glue_context = True
    return job


def main(argv: list[str] | None = None, job: str | None = None) -> int:
    """Script entry: run, print the summary, return the exit code; errors are one line on stderr."""
    argv = list(sys.argv if argv is None else argv)
    try:
        result = launch(argv, job)
    except ConfigError as exc:
        print(f"config error: {one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # the trace is in the driver log; the caller gets one line and exit 1
        log.exception("job failed")
        print(f"error: {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)
        return 1
    assert result.report is not None
    if result.platform == "glue":
        how = "GlueContext" if result.glue_context else f"plain SparkSession ({result.glue_fallback_reason})"
        print(f"glue job {result.glue_job_name}: ran on {how}")
    print(format_summary(result.report))
    return result.report.exit_code
