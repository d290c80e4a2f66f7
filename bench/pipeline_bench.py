"""Throughput of the whole pipeline next to its I/O floor: ``make bench-pipeline [N=100000]``.

    .venv/bin/python -m bench.pipeline_bench [--n 100000] [--files 8] [--cores 2] [--skip-stages] [--no-cli]
        [--cli-only] [--increment N/10] [--corpus DIR]

Generates ``--n`` documents with :mod:`bench.dedup_corpus` (English-like prose, median ~300 words, with
exact and near duplicates, short and empty texts) as ``--files`` JSON-lines files, plus an increment of
``--n // 10`` new documents. Then, in one ``local[cores]`` session with 4 GiB of driver memory:

1. ``floor ingest``: ``spark.read.json`` of the landing files (schema given) -> a Delta write;
2. ``ingest``: the engine's ingest of the same files into a fresh lakehouse;
3. ``floor curate``: a Delta read of that bronze table -> a Delta write;
4. ``curate (foundation)``: normalize, length, exact dedup over that bronze;
5. unless ``--skip-stages``: each stage of the default pipeline alone on the same bronze rows (annotate,
   decide, Delta write), so its cost over the floor shows separately.

And as ``dq-engine run`` subprocesses (Spark start-up, MLflow and the audit included), default pipeline:

6. ``run`` end to end on a fresh lakehouse;
7. ``run`` again with nothing new (no-op);
8. ``run`` after the increment lands (an increment on top of ``--n`` documents), and the same increment
   alone on another fresh lakehouse (an increment on top of none).

``--cli-only`` keeps the two floors and steps 6-8 (the large run: ``--n 1000000 --increment 10000
--cli-only``); ``--corpus DIR`` writes the corpus there once and reuses it on later runs.

Each line gives wall seconds, documents/s/core, peak RSS of the driver JVM and of the Python driver (the
whole process tree for the subprocess steps), the JVM's peak used heap (in-process steps), and the ratio
to the floor named in the last column. Single runs: repeat the command for medians.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
GIB = 1024**3
FOUNDATION = """\
name: foundation
stages:
  - {stage: normalize_text, params: {form: NFC}}
  - {stage: length_filter, name: length, params: {min_chars: 20, max_chars: 200000, min_words: 3}}
  - {stage: exact_dedup, params: {lowercase: true, against_curated: true}}
"""


@dataclass
class Step:
    name: str
    seconds: float
    docs: int
    peak_rss: dict[str, float] = field(default_factory=dict)
    peak_heap: float | None = None
    floor: str | None = None
    ratio: float | None = None


class PeakSampler:
    """Polls the RSS of some processes (and optionally a JVM's used heap) every ``interval`` s."""

    def __init__(self, processes: Callable[[], dict[str, list[psutil.Process]]], heap=None, interval=0.25):  # type: ignore[no-untyped-def]
        self.processes = processes
        self.heap = heap
        self.interval = interval
        self.peak_rss: dict[str, float] = {}
        self.peak_heap: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for label, procs in self.processes().items():
                rss = 0
                for proc in procs:
                    with contextlib.suppress(psutil.Error):
                        rss += proc.memory_info().rss
                self.peak_rss[label] = max(self.peak_rss.get(label, 0.0), rss / GIB)
            if self.heap is not None:
                try:
                    used = self.heap() / GIB
                    self.peak_heap = used if self.peak_heap is None else max(self.peak_heap, used)
                except Exception:  # noqa: BLE001 - the session may be between calls; sample next time
                    pass
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def write_corpus(landing: Path, increment: Path, n: int, files: int, n_increment: int | None = None) -> None:
    from bench.dedup_corpus import generate

    def dump(docs: list[dict[str, str]], folder: Path, prefix: str, parts: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        handles = [(folder / f"{prefix}-{i:03d}.jsonl").open("w", encoding="utf-8") for i in range(parts)]
        for i, doc in enumerate(docs):
            row = {"id": f"{prefix}-{doc['id']}", "text": doc["text"]}
            handles[i % parts].write(json.dumps(row, ensure_ascii=False) + "\n")
        for h in handles:
            h.close()

    dump(generate(n, seed=0), landing, "base", files)
    dump(generate(n_increment or max(n // 10, 1), seed=1), increment, "inc", max(files // 4, 1))


def overrides(root: Path, landing: Path, pipeline: str, cores: int) -> list[str]:
    source = f"{{name: bench, path: {landing}, format: jsonl, text_field: text, id_field: id}}"
    return [
        f"lakehouse.root={root / 'lakehouse'}",
        f"mlflow.tracking_uri=sqlite:///{root / 'mlruns.db'}",
        f"mlflow.artifact_location={root / 'mlartifacts'}",
        f"ingest.sources=[{source}]",
        f"pipeline={pipeline}",
        f"spark.master=local[{cores}]",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="documents in the corpus")
    parser.add_argument("--files", type=int, default=8, help="JSON-lines files the corpus is split into")
    parser.add_argument("--cores", type=int, default=2, help="local[cores]")
    parser.add_argument("--skip-stages", action="store_true", help="no per-stage breakdown")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--no-cli", action="store_true", help="only the in-process steps (1-5)")
    parser.add_argument(
        "--cli-only", action="store_true", help="the floors and the `run` steps (6-8), not steps 2, 4, 5"
    )
    parser.add_argument("--increment", type=int, default=None, help="documents in the increment (N/10)")
    parser.add_argument(
        "--corpus", type=Path, default=None, help="reuse (or write once) the corpus in this folder"
    )
    args = parser.parse_args(argv)

    from pyspark.sql import DataFrame

    from dq_engine.config import load_config
    from dq_engine.config.loader import load_pipeline
    from dq_engine.core.context import RunContext
    from dq_engine.core.pipeline import Pipeline
    from dq_engine.runner import run_job
    from dq_engine.spark.session import build_session, stop_session
    from dq_engine.versioning import Tables

    work = Path(tempfile.mkdtemp(prefix="dq-bench-pipeline-"))
    corpus = args.corpus or work
    landing, increment = corpus / "landing", corpus / "increment"
    n_inc = args.increment or max(args.n // 10, 1)
    started = time.perf_counter()
    if not (landing.is_dir() and increment.is_dir()):
        write_corpus(landing, increment, args.n, args.files, n_inc)
    mb = sum(p.stat().st_size for p in landing.iterdir()) / 1e6
    print(f"corpus: {args.n} documents, {mb:.0f} MB in {args.files} files, written in "
          f"{time.perf_counter() - started:.0f} s under {work}", flush=True)  # fmt: skip
    foundation = work / "foundation.yaml"
    foundation.write_text(FOUNDATION, encoding="utf-8")

    conf = {
        "spark.sql.shuffle.partitions": str(2 * args.cores),
        "spark.default.parallelism": str(2 * args.cores),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "4g",
        "spark.databricks.delta.snapshotPartitions": "2",
    }
    spark = build_session(
        app_name="bench-pipeline", master=f"local[{args.cores}]", conf=conf, jars_dir=str(REPO / "jars")
    )
    jvm_pid = int(spark._jvm.java.lang.ProcessHandle.current().pid())
    runtime = spark._jvm.java.lang.Runtime.getRuntime()
    me = psutil.Process()
    jvm = psutil.Process(jvm_pid)
    steps: list[Step] = []

    def timed(name: str, docs: int, fn: Callable[[], object], floor: str | None = None) -> Step:
        with PeakSampler(
            lambda: {"jvm": [jvm], "python": [me]}, heap=lambda: runtime.totalMemory() - runtime.freeMemory()
        ) as sampler:
            t0 = time.perf_counter()
            fn()
            seconds = time.perf_counter() - t0
        step = Step(name, seconds, docs, dict(sampler.peak_rss), sampler.peak_heap, floor)
        steps.append(step)
        print(f"  {name}: {seconds:.1f} s", flush=True)
        return step

    def config(root: Path, pipeline: str, source_folder: Path = landing):  # type: ignore[no-untyped-def]
        ov = overrides(root, source_folder, pipeline, args.cores)
        return load_config(REPO / "conf", overrides=[*ov, "mlflow.enabled=false"])

    schema = "id string, text string"
    try:
        # Warm-up: the first Delta write of a JVM pays class loading and JIT; neither side should.
        warm = work / "warm"
        spark.read.schema(schema).json(str(next(iter(sorted(landing.iterdir()))))).limit(100).write.format(
            "delta"
        ).save(str(warm))
        shutil.rmtree(warm)

        floor_bronze = work / "floor" / "bronze"
        timed(
            "floor ingest (read json -> Delta)",
            args.n,
            lambda: (
                spark.read.schema(schema).json(str(landing)).write.format("delta").save(str(floor_bronze))
            ),
        )
        root_a = work / "a"
        cfg_a = config(root_a, str(foundation))
        if not args.cli_only:
            timed("ingest", args.n, lambda: _ok(run_job("ingest", cfg_a, spark)), floor="floor ingest")
        tables_a = Tables(spark, cfg_a.lakehouse)

        def bronze() -> DataFrame:
            """The engine's bronze, or with --cli-only (no in-process ingest) the floor's own copy."""
            if args.cli_only:
                return spark.read.format("delta").load(str(floor_bronze))
            return tables_a.read("bronze_documents")

        floor_silver = work / "floor" / "silver"
        bronze_rows = bronze().count()
        timed(
            "floor curate (Delta -> Delta)",
            bronze_rows,
            lambda: bronze().write.format("delta").save(str(floor_silver)),
        )
        if not args.cli_only:
            timed(
                "curate (foundation)",
                bronze_rows,
                lambda: _ok(run_job("curate", cfg_a, spark)),
                floor="floor curate",
            )
        if not args.skip_stages and not args.cli_only:
            default = load_pipeline(config(root_a, "default"))
            for stage in default.stages:
                label = stage.name or stage.stage
                settings = default.model_copy(update={"name": label, "stages": [stage]})
                pipeline = Pipeline.from_settings(settings)
                ctx = RunContext(spark=spark, config=cfg_a, tables=tables_a)
                out = work / "stages" / label

                def one_stage(pipeline=pipeline, ctx=ctx, out=out) -> None:  # type: ignore[no-untyped-def]
                    docs = tables_a.read("bronze_documents")
                    decided = pipeline.decide(pipeline.annotate(docs, ctx), ctx).annotated
                    try:
                        decided.write.format("delta").save(str(out))
                    finally:
                        pipeline.cleanup(ctx)

                timed(f"  + {label} alone", bronze_rows, one_stage, floor="floor curate")
    finally:
        stop_session(spark)

    # The CLI as a user runs it: one process per run, default pipeline, MLflow on.
    cli = str(Path(sys.executable).parent / "dq-engine")

    def run_cli(name: str, root: Path, docs: int, source_folder: Path, floor: str | None = None) -> Step:
        cmd = [cli, "run", "--conf-dir", str(REPO / "conf")]
        for item in overrides(root, source_folder, "default", args.cores):
            cmd += ["--set", item]
        root.mkdir(parents=True, exist_ok=True)
        log = (root / f"{name.split()[0]}.log").open("a")
        t0 = time.perf_counter()
        proc = psutil.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)

        def tree() -> dict[str, list[psutil.Process]]:
            try:
                return {"tree": [proc, *proc.children(recursive=True)]}
            except psutil.Error:
                return {}

        with PeakSampler(tree) as sampler:
            rc = proc.wait()
        seconds = time.perf_counter() - t0
        if rc != 0:
            raise SystemExit(f"{name}: dq-engine run exited {rc}; see {log.name} under {root}")
        step = Step(name, seconds, docs, dict(sampler.peak_rss), None, floor)
        steps.append(step)
        print(f"  {name}: {seconds:.1f} s", flush=True)
        return step

    if not args.no_cli:
        cli_landing = work / "cli-landing"
        shutil.copytree(landing, cli_landing)
        root_b = work / "b"
        run_cli(
            "run (end to end, default pipeline)", root_b, args.n, cli_landing, floor="floor ingest + curate"
        )
        run_cli("run, nothing new", root_b, 0, cli_landing)
        for f in increment.iterdir():
            shutil.copy(f, cli_landing / f.name)
        after = run_cli(f"run, +{n_inc} after {args.n}", root_b, n_inc, cli_landing)
        alone = run_cli(f"run, +{n_inc} after none", work / "c", n_inc, increment)
        after.floor, after.ratio = "the same increment after none", after.seconds / alone.seconds

    floors = {s.name.split(" (")[0]: s.seconds for s in steps if s.name.startswith("floor")}
    floors["floor ingest + curate"] = floors.get("floor ingest", 0) + floors.get("floor curate", 0)
    for s in steps:
        if s.floor in floors and s.ratio is None:
            s.ratio = s.seconds / floors[s.floor]
    print_table(steps, args)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _ok(report) -> None:  # type: ignore[no-untyped-def]
    if not report.ok:
        raise SystemExit(f"{report.job} {report.status}: {report.message}")


def print_table(steps: list[Step], args: argparse.Namespace) -> None:
    cpu = os.cpu_count()
    print(f"\nN = {args.n}, local[{args.cores}], {cpu} CPUs, driver memory 4g, single runs")
    print(
        "| step | wall s | docs/s/core | peak RSS GiB (JVM / Python or process tree) "
        "| JVM heap used GiB | ratio | to |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for s in steps:
        rate = f"{s.docs / s.seconds / args.cores:,.0f}" if s.docs else ""
        if "tree" in s.peak_rss:
            rss = f"{s.peak_rss['tree']:.2f}"
        else:
            rss = f"{s.peak_rss.get('jvm', 0):.2f} / {s.peak_rss.get('python', 0):.2f}"
        heap = "" if s.peak_heap is None else f"{s.peak_heap:.2f}"
        ratio = "" if s.ratio is None else f"{s.ratio:.2f}"
        print(f"| {s.name} | {s.seconds:.1f} | {rate} | {rss} | {heap} | {ratio} | {s.floor or ''} |")


if __name__ == "__main__":
    raise SystemExit(main())
