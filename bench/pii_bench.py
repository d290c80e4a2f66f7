"""Throughput of pii_mask (structured detectors + masking) next to Presidio's regex recognizers.

    .venv/bin/python bench/pii_bench.py [--docs 20000] [--cores 1] [--repeats 3] [--presidio-docs 3000]
                                        [--engines jvm,sql]

Builds a bench corpus from the project's labelled-set generator (PII of every type injected into
multilingual prose, hard negatives) mixed with clean prose, about 30% of documents holding PII, and
writes it to Parquet. Then, in one process:

- Spark ``local[cores]``: the floor (read the Parquet, write it to the ``noop`` sink), and read +
  ``pii_mask`` + write per engine (``jvm``: the Java scanner, ``sql``: the reference expressions),
  with the residual re-scan off and on, and ``jvm`` restricted to the types Presidio's recognizers
  cover. Each figure is the median of ``--repeats`` runs after one warm-up; query planning is
  included in every run. ``net`` columns subtract the floor (the stage's own cost).
- Presidio (``presidio-analyzer``, the ``pii-bench`` extra): its predefined pattern recognizers for
  the types both cover (email, phone, IP, credit card, IBAN, US SSN), called directly so no spaCy
  model is loaded, plus the same placeholder replacement in Python, on one core over
  ``--presidio-docs`` documents of the same corpus (median of ``--repeats`` runs after a warm-up).
  ``tldextract`` is pinned to its bundled suffix list so nothing is fetched.

docs/s/core = documents / median seconds / cores; MB/s/core counts UTF-8 bytes of ``text``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from dq_engine.config import LakehouseSettings, load_config
from dq_engine.core.context import RunContext
from dq_engine.pii import PiiMask
from dq_engine.pii.synth import FILLER, generate
from dq_engine.spark.session import build_session, stop_session
from dq_engine.versioning import Tables

REPO = Path(__file__).resolve().parents[1]
FLOOR = "floor (read + write)"
# our type codes for what Presidio's six pattern recognizers cover
PRESIDIO_TYPES = ["EMAIL", "PHONE", "IPV4", "IPV6", "CREDIT_CARD", "IBAN", "US_SSN"]


def corpus(n: int, seed: int = 5) -> list[str]:
    labelled = [d.text for d in generate(n_per_type=60, n_negative_docs=300, seed=seed)]
    rng = random.Random(seed)
    sentences = [s for group in FILLER.values() for s in group]
    out = []
    for i in range(n):
        if rng.random() < 0.3:
            out.append(labelled[i % len(labelled)])
        else:
            out.append(" ".join(rng.choice(sentences) for _ in range(rng.randint(3, 12))))
    return out


def timed(fn: Any, repeats: int) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def presidio_rate(texts: list[str], repeats: int) -> float:
    import tldextract
    import tldextract.tldextract as tx

    tx.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    recognizers = [
        (EmailRecognizer(), ["EMAIL_ADDRESS"]),
        (PhoneRecognizer(), ["PHONE_NUMBER"]),
        (IpRecognizer(), ["IP_ADDRESS"]),
        (CreditCardRecognizer(), ["CREDIT_CARD"]),
        (IbanRecognizer(), ["IBAN_CODE"]),
        (UsSsnRecognizer(), ["US_SSN"]),
    ]

    def run() -> None:
        for text in texts:
            found = []
            for rec, entities in recognizers:
                found += rec.analyze(text, entities, None)  # type: ignore[arg-type]  # no NLP artifacts: regex only
            out, pos = [], 0
            for r in sorted(found, key=lambda r: (r.start, -r.end)):
                if r.start >= pos:
                    out += [text[pos : r.start], f"<{r.entity_type}>"]
                    pos = r.end
            out.append(text[pos:])
            "".join(out)

    seconds = timed(run, repeats)
    return len(texts) / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--presidio-docs", type=int, default=3000)
    ap.add_argument("--engines", default="jvm,sql", help="pii_mask engines to time, comma-separated")
    args = ap.parse_args()
    engines = [e for e in args.engines.split(",") if e]

    texts = corpus(args.docs)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {len(texts)} docs, {mb:.1f} MB, mean {mb * 1e6 / len(texts):.0f} bytes/doc")

    spark: SparkSession = build_session(
        app_name="bench-pii",
        master=f"local[{args.cores}]",
        conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": str(args.cores)},
        jars_dir=str(REPO / "jars"),
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "corpus.parquet")
            spark.createDataFrame(
                [(f"d{i}", t) for i, t in enumerate(texts)], "doc_id string, text string"
            ).repartition(args.cores).write.parquet(path)
            ctx = RunContext(
                spark=spark,
                config=load_config(REPO / "conf"),
                tables=Tables(spark, LakehouseSettings(root=str(Path(tmp) / "lh"))),
            )

            def run(stage: PiiMask | None) -> None:
                df: DataFrame = spark.read.parquet(path)
                if stage is not None:
                    df = stage.apply(df, ctx)
                df.write.format("noop").mode("overwrite").save()

            results = {FLOOR: timed(lambda: run(None), args.repeats)}
            for engine in engines:
                for residual in (False, True):
                    name = f"{engine}, 17 types, residual {'on' if residual else 'off'}"
                    stage = PiiMask({"engine": engine, "residual_check": residual})
                    results[name] = timed(lambda st=stage: run(st), args.repeats)
                if engine == "jvm":
                    stage = PiiMask({"engine": engine, "residual_check": False, "types": PRESIDIO_TYPES})
                    results["jvm, presidio's 6 types, res. off"] = timed(
                        lambda st=stage: run(st), args.repeats
                    )
    finally:
        stop_session(spark)

    n = len(texts)
    floor = results[FLOOR]
    print(f"{'step':34} {'median s':>9} {'docs/s/core':>12} {'MB/s/core':>10} {'net docs/s/core':>16}")
    for name, s in results.items():
        net = f"{n / (s - floor) / args.cores:16.0f}" if name != FLOOR and s > floor else ""
        print(f"{name:34} {s:9.2f} {n / s / args.cores:12.0f} {mb / s / args.cores:10.2f} {net}")
    sample = texts[: args.presidio_docs]
    rate = presidio_rate(sample, args.repeats)
    sample_mb = sum(len(t.encode("utf-8")) for t in sample) / 1e6
    print(
        f"{'presidio regex (6 types)':34} {len(sample) / rate:9.2f} {rate:12.0f} "
        f"{sample_mb / (len(sample) / rate):10.2f}   ({len(sample)} docs, 1 core)"
    )
    for name, s in results.items():
        if name != FLOOR:
            ours = n / s / args.cores
            print(f"{name} (read + stage + write) / presidio (6 types): {ours / rate:.1f}x per core")


if __name__ == "__main__":
    main()
