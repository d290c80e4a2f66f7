"""Generic job script: the job is the first argument (``ingest``, ``curate``, ``audit`` or ``run``).

    spark-submit --jars "$(python -m dq_engine.spark.jars)" jobs/run_pipeline.py run --set k=v

``jobs/{ingest,curate,audit,run}.py`` are the same with the job fixed, for Glue (whose job parameters
cannot be positional). Exit codes: 0 success, 2 the audit blocked publishing, 1 any other failure.
"""

import sys

from dq_engine.entrypoint import main

if __name__ == "__main__":
    sys.exit(main())
