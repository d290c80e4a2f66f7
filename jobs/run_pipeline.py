"""Thin job script for spark-submit, EMR steps and Glue: parse arguments, run, exit code.

    spark-submit --jars "$(python -m dq_engine.spark.jars)" jobs/run_pipeline.py run --set k=v

Exit codes: 0 success, 2 the audit blocked publishing, 1 any other failure.
"""

from __future__ import annotations

import argparse
import sys

from dq_engine.config.loader import ConfigError, load_config
from dq_engine.runner import format_summary, run_job, session_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a dq-engine job (ingest, curate, audit or run).")
    parser.add_argument("job", nargs="?", default="run", choices=["ingest", "curate", "audit", "run"])
    parser.add_argument("--conf-dir", default="conf")
    parser.add_argument("--env", default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args, _platform_args = parser.parse_known_args(argv)  # Glue appends its own --JOB_NAME etc.
    try:
        config = load_config(args.conf_dir, env=args.env, overrides=args.overrides)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 1
    report = run_job(args.job, config, session_for(config))
    print(format_summary(report))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
