"""Throughput of normalize_text and the language, toxicity and quality_heuristics filters, next to a
plain read + write.

    .venv/bin/python bench/filters_bench.py [--docs 20000] [--cores 1] [--repeats 3]

Generates a corpus of English-like documents (median ~300 words, log-normal lengths, lines and
paragraphs, some repeated lines) into Parquet, then times, in one Spark session with ``local[cores]``:
the floor (read the Parquet, write it back), ``normalize_text`` with each engine (the SQL + Arrow
reference and the Java UDF), each filter (read, apply, write every column) and the three filters in a
chain. Each figure is the median of ``--repeats`` runs after one warm-up run (Python workers
and models loaded). docs/s/core = documents / median seconds / cores. With ``local[1]`` the JVM task
and its Python worker overlap, so "per core" is per Spark task slot.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from dq_engine.config import LakehouseSettings, load_config
from dq_engine.core.context import RunContext
from dq_engine.core.stage import Stage
from dq_engine.language import LanguageFilter
from dq_engine.normalize import NormalizeText
from dq_engine.quality import QualityHeuristics
from dq_engine.spark.session import build_session, stop_session
from dq_engine.toxicity import ToxicityFilter
from dq_engine.versioning import Tables

REPO = Path(__file__).resolve().parents[1]
_WORDS = (
    "the of and to in is was for that with on as by at from his her they this which be have are not "
    "had one were all their there been has more when will would who so no out up into than them can "
    "only other new some could time these two may then first any like now such make over did our "
    "people between city river market school history music water house report season team data model "
    "system result study government council company family village road station church game album "
    "film energy health policy research program service student building language network product "
    "quickly slowly often later early major local public private national social general different "
    "important several certain recent common simple known large small great long short high low"
)
VOCAB = _WORDS.split()


def make_corpus(n_docs: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    docs = []
    for i in range(n_docs):
        n_words = max(20, int(rng.lognormvariate(math.log(300), 0.5)))
        lines, words_left = [], n_words
        while words_left > 0:
            k = min(words_left, rng.randint(8, 40))
            sentence = " ".join(rng.choice(VOCAB) for _ in range(k))
            lines.append(sentence[0].upper() + sentence[1:] + rng.choice(".!?."))
            words_left -= k
        if rng.random() < 0.1:
            lines += [lines[0]] * 3  # boilerplate repeats
        text = ""
        for j, line in enumerate(lines):
            text += line + ("\n\n" if j % 4 == 3 else "\n")
        docs.append((f"d{i}", text))
    return docs


def _timed(run: Callable[[], None], repeats: int) -> float:
    run()  # warm-up: Python workers, models, code generation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    spark: SparkSession = build_session(
        app_name="bench-filters",
        master=f"local[{args.cores}]",
        conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": str(args.cores)},
        jars_dir=str(REPO / "jars"),
    )
    spark.sparkContext.setLogLevel("ERROR")
    with tempfile.TemporaryDirectory(prefix="bench-filters-") as tmp:
        root = Path(tmp)
        docs = make_corpus(args.docs)
        words = sorted(len(t.split()) for _, t in docs)
        src = str(root / "corpus.parquet")
        # one file per core so every task slot has work
        spark.createDataFrame(docs, "doc_id string, text string").repartition(args.cores).write.parquet(src)
        config = load_config(REPO / "conf")
        ctx = RunContext(
            spark=spark, config=config, tables=Tables(spark, LakehouseSettings(root=str(root / "lh")))
        )

        def run_with(stages: list[Stage]) -> Callable[[], None]:
            def run() -> None:
                df: DataFrame = spark.read.parquet(src)
                for stage in stages:
                    df = stage.apply(df, ctx)
                df.write.mode("overwrite").parquet(str(root / "out.parquet"))

            return run

        lang, tox, qh = LanguageFilter(), ToxicityFilter(), QualityHeuristics()
        cases: list[tuple[str, list[Stage]]] = [
            ("floor: read + write", []),
            ("normalize_text, engine sql (reference)", [NormalizeText({"engine": "sql"})]),
            ("normalize_text, engine jvm", [NormalizeText({"engine": "jvm"})]),
            ("language (cld2)", [lang]),
            ("toxicity (profanity_check)", [tox]),
            ("quality_heuristics", [qh]),
            ("chain: language > toxicity > quality_heuristics", [lang, tox, qh]),
        ]
        print(
            f"corpus: {len(docs)} docs, median {statistics.median(words):.0f} words "
            f"(p10 {words[len(words) // 10]}, p90 {words[9 * len(words) // 10]}), local[{args.cores}], "
            f"median of {args.repeats} runs"
        )
        floor = None
        for name, stages in cases:
            seconds = _timed(run_with(stages), args.repeats)
            rate = len(docs) / seconds / args.cores
            if floor is None:
                floor = seconds
                print(f"  {name:50s} {seconds:7.2f} s  {rate:9.0f} docs/s/core")
                continue
            extra = seconds - floor
            alone = f"{len(docs) / extra / args.cores:9.0f}" if extra > 0 else "      inf"
            print(
                f"  {name:50s} {seconds:7.2f} s  {rate:9.0f} docs/s/core  x{seconds / floor:4.1f} floor  "
                f"(filter alone, floor subtracted: {alone} docs/s/core)"
            )
    stop_session(spark)


if __name__ == "__main__":
    main()
