"""Accuracy and speed of the language-ID backends, in one process (driver-side, no Spark).

    .venv/bin/python bench/filters_langid_eval.py [--sentences DIR] [--backends fasttext,cld2,langid]

Always measures the shipped Faker-derived set (``data/langid/faker_multilingual.jsonl``: 23 languages,
20-40-word and 3-8-word texts). With ``--sentences DIR`` (one ``<iso639-1>.txt`` per language, one
sentence per line, e.g. the Leipzig sentences of ``../shared/data/langid/sentences``, which may not be
copied into the repository) it also reports sentence-level accuracy per language, over the languages
each backend knows. Speed is texts per second of the backend's own predict call on this machine.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from dq_engine.language.backends import get_backend
from dq_engine.language.text import clean_for_model

REPO = Path(__file__).resolve().parents[1]
FAKER_SET = REPO / "data" / "langid" / "faker_multilingual.jsonl"


def _measure(backend_name: str, texts: list[str], labels: list[str]) -> tuple[float, float, dict[str, float]]:
    backend = get_backend(backend_name)
    cleaned = [clean_for_model(t, 2000) for t in texts]
    start = time.perf_counter()
    predicted, _ = backend.predict(cleaned)
    elapsed = time.perf_counter() - start
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p, y in zip(predicted, labels, strict=True):
        per_lang[y][0] += p == y
        per_lang[y][1] += 1
    correct = sum(c for c, _ in per_lang.values())
    return correct / len(labels), len(texts) / elapsed, {k: c / n for k, (c, n) in sorted(per_lang.items())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=Path, default=None)
    ap.add_argument("--backends", default="fasttext,cld2", help="also: langid (pip install .[langid])")
    ap.add_argument("--per-language", type=int, default=300, help="sentences per language (--sentences)")
    args = ap.parse_args()
    backends = args.backends.split(",")

    rows = [json.loads(line) for line in FAKER_SET.read_text(encoding="utf-8").splitlines()]
    print(f"Faker set: {len(rows)} texts, {len({r['lang'] for r in rows})} languages")
    for kind in ("long", "short"):
        sub = [r for r in rows if r["kind"] == kind]
        for name in backends:
            acc, rate, per = _measure(name, [r["text"] for r in sub], [r["lang"] for r in sub])
            worst = sorted(per.items(), key=lambda kv: kv[1])[:3]
            print(f"  {kind:5s} {name:8s} accuracy {acc:.4f}  {rate:8.0f} texts/s  worst {worst}")

    if args.sentences:
        langs = sorted(p.stem for p in args.sentences.glob("*.txt"))
        texts, labels = [], []
        for lang in langs:
            lines = (args.sentences / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
            lines = [s for s in lines if s.strip()][: args.per_language]
            texts += lines
            labels += [lang] * len(lines)
        print(f"sentences: {len(texts)} from {len(langs)} languages ({args.sentences})")
        for name in backends:
            acc, rate, per = _measure(name, texts, labels)
            known = {k: v for k, v in per.items() if v > 0}
            known_acc = sum(v for v in known.values()) / max(1, len(known))
            print(
                f"  {name:8s} accuracy {acc:.4f} over all {len(per)} languages; "
                f"{known_acc:.4f} mean over the {len(known)} it labels at all; {rate:.0f} texts/s"
            )
            print("    " + " ".join(f"{k}={v:.2f}" for k, v in per.items()))


if __name__ == "__main__":
    main()
