"""Named pause points, so kill tests can stop a process at an exact phase instead of guessing with sleeps.

Inert unless ``DQ_ENGINE_PAUSE_AT`` names a point. Then, on reaching it, the process writes
``<point> <pid>`` to the file named by ``DQ_ENGINE_PAUSE_MARKER`` and sleeps until it is killed. The
test harness waits for the marker and sends SIGKILL: a real crash at a known place between two commits.
With ``DQ_ENGINE_PAUSE_RESUME`` naming a file, the process goes on once that file exists instead (the
concurrency tests hold one run at a known point while a second one starts).

Points, in the order a ``run`` reaches them: ``ingest.before_bronze``,
``ingest.between_bronze_and_quarantine`` (inside a source's micro-batch), ``curate.after_silver_documents``,
``curate.after_silver_rejections``, ``curate.after_chunk`` (the ``ops.runs`` row of a chunk that is
not the run's last is written), ``curate.before_watermark``, ``audit.after_results``,
``publish.before_watermark``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "DQ_ENGINE_PAUSE_AT"
MARKER_ENV = "DQ_ENGINE_PAUSE_MARKER"
RESUME_ENV = "DQ_ENGINE_PAUSE_RESUME"


def pause_point(name: str) -> None:
    """Block at ``name`` when ``$DQ_ENGINE_PAUSE_AT`` equals it (until killed, or until the resume file
    exists); otherwise return at once."""
    if os.environ.get(PAUSE_ENV) != name:
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        Path(marker).write_text(f"{name} {os.getpid()}\n", encoding="utf-8")
    resume = os.environ.get(RESUME_ENV)
    while not (resume and Path(resume).exists()):
        time.sleep(0.2 if resume else 60)
