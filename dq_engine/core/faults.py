"""Named pause points, so kill tests can stop a process at an exact phase instead of guessing with sleeps.

Inert unless ``DQ_ENGINE_PAUSE_AT`` names a point. Then, on reaching it, the process writes
``<point> <pid>`` to the file named by ``DQ_ENGINE_PAUSE_MARKER`` and sleeps until it is killed. The
test harness waits for the marker and sends SIGKILL: a real crash at a known place between two commits.

Points, in the order a ``run`` reaches them: ``ingest.before_bronze``,
``ingest.between_bronze_and_quarantine`` (inside a source's micro-batch), ``curate.after_silver_documents``,
``curate.after_silver_rejections``, ``curate.before_watermark``, ``audit.after_results``,
``publish.before_watermark``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "DQ_ENGINE_PAUSE_AT"
MARKER_ENV = "DQ_ENGINE_PAUSE_MARKER"


def pause_point(name: str) -> None:
    """Block forever at ``name`` when ``$DQ_ENGINE_PAUSE_AT`` equals it; otherwise return at once."""
    if os.environ.get(PAUSE_ENV) != name:
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        Path(marker).write_text(f"{name} {os.getpid()}\n", encoding="utf-8")
    while True:
        time.sleep(60)
