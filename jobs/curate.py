"""spark-submit / EMR step / Glue 5 script for the ``curate`` job; see :mod:`dq_engine.entrypoint`."""

import sys

from dq_engine.entrypoint import main

if __name__ == "__main__":
    sys.exit(main(job="curate"))
