"""Where a run's time went, from its Spark event log: wall seconds per SQL action and per call site.

    .venv/bin/dq-engine run --conf-dir conf ... \\
        --set spark.conf.spark.eventLog.enabled=true --set spark.conf.spark.eventLog.dir=/tmp/events
    .venv/bin/python -m bench.event_log_profile /tmp/events/local-*  [--top 40]

Spark writes one JSON event per line. Each SQL execution (a DataFrame action: a write, a count, a
collect) has a start and an end event; its description is the Python call site that ran it
(``save at .../curate.py:391``) or the SQL text. This prints the executions' wall time summed per call
site (largest first), the ``--top`` longest single executions in the order they ran, and how much of the
log's span no execution covered (driver-side work: Delta log reads, planning, Python, MLflow).
Executions nested in another (a Delta write's own jobs) count once, in the outer one.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

START = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart"
END = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd"


def executions(log: Path) -> list[tuple[int, int, str]]:
    """``(start ms, end ms, description)`` of every top-level SQL execution in ``log``."""
    started: dict[int, tuple[int, str, int | None]] = {}
    done: list[tuple[int, int, str]] = []
    with log.open(encoding="utf-8") as handle:
        for line in handle:
            if "SparkListenerSQLExecution" not in line:
                continue
            event = json.loads(line)
            kind = event.get("Event")
            if kind == START:
                root = event.get("rootExecutionId")
                description = str(event.get("description") or "").strip().splitlines()[0:1]
                started[event["executionId"]] = (event["time"], description[0] if description else "?", root)
            elif kind == END and event["executionId"] in started:
                begin, description, root = started.pop(event["executionId"])
                if root is None or root == event["executionId"]:
                    done.append((begin, event["time"], description))
    return sorted(done)


def covered(spans: list[tuple[int, int, str]]) -> int:
    """Milliseconds of the union of the spans (overlapping executions counted once)."""
    total, reach = 0, None
    for begin, end, _ in spans:
        if reach is None or begin > reach:
            total += end - begin
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="a Spark event log file")
    parser.add_argument("--top", type=int, default=30, help="longest single executions to list")
    args = parser.parse_args(argv)
    spans = executions(args.log)
    if not spans:
        raise SystemExit(f"{args.log}: no SQL executions in this event log")
    first, last = spans[0][0], max(end for _, end, _ in spans)
    per_site: dict[str, list[float]] = defaultdict(list)
    for begin, end, description in spans:
        per_site[description].append((end - begin) / 1000)
    span, busy = (last - first) / 1000, covered(spans) / 1000
    print(f"{len(spans)} SQL executions over {span:.1f} s: {busy:.1f} s in them, {span - busy:.1f} s between")
    print("\nseconds  count  call site (summed)")
    for site, seconds in sorted(per_site.items(), key=lambda kv: -sum(kv[1])):
        print(f"{sum(seconds):7.1f}  {len(seconds):5d}  {site[:150]}")
    print(f"\nthe {args.top} longest, in the order they ran (start s from the first)")
    longest = sorted(spans, key=lambda s: s[0] - s[1])[: args.top]
    for begin, end, description in sorted(longest):
        print(f"{(begin - first) / 1000:8.1f}  {(end - begin) / 1000:6.1f}  {description[:150]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
