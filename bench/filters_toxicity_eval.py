"""Precision / recall / F1 of the default toxicity model (alt-profanity-check), driver-side, no Spark.

    .venv/bin/python bench/filters_toxicity_eval.py [--davidson PATH/labeled_data.csv]

Measures the shipped 3,000-tweet Davidson sample (``data/toxicity/davidson_sample.csv``; toxic = hate
speech or offensive language) at three thresholds, per class, and the hand-written scope probe
(``data/toxicity/scope_probe.csv``). ``--davidson`` adds the full 24,783-tweet file (e.g.
``../shared/data/toxicity/davidson_labeled_data.csv``). The model was trained on the Davidson tweets,
so those figures are in-domain.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pyarrow as pa

from dq_engine.toxicity import profanity_model

REPO = Path(__file__).resolve().parents[1]


def _report(name: str, texts: list[str], classes: np.ndarray) -> None:
    prob = profanity_model().predict_proba(pa.array(texts))
    toxic = classes <= 1
    print(f"{name}: {len(texts)} texts ({int(toxic.sum())} toxic)")
    for threshold in (0.3, 0.5, 0.7):
        flag = prob >= threshold
        tp, fp, fn = int((flag & toxic).sum()), int((flag & ~toxic).sum()), int((~flag & toxic).sum())
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        f1 = 2 * p * r / max(1e-12, p + r)
        per_class = " ".join(
            f"{label}={flag[classes == c].mean():.3f}"
            for c, label in ((0, "hate"), (1, "offensive"), (2, "neither"))
            if (classes == c).any()
        )
        print(f"  threshold {threshold}: P={p:.3f} R={r:.3f} F1={f1:.3f}  flagged share: {per_class}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davidson", type=Path, default=None)
    args = ap.parse_args()
    with open(REPO / "data" / "toxicity" / "davidson_sample.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    _report("davidson sample", [r["tweet"] for r in rows], np.array([int(r["class"]) for r in rows]))
    if args.davidson:
        with open(args.davidson, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        _report("davidson full", [r["tweet"] for r in rows], np.array([int(r["class"]) for r in rows]))
    with open(REPO / "data" / "toxicity" / "scope_probe.csv", encoding="utf-8", newline="") as fh:
        probe = list(csv.DictReader(fh))
    prob = profanity_model().predict_proba(pa.array([r["text"] for r in probe]))
    print("scope probe (share flagged at 0.5):")
    for kind in dict.fromkeys(r["kind"] for r in probe):
        idx = [i for i, r in enumerate(probe) if r["kind"] == kind]
        print(f"  {kind:22s} {float((prob[idx] >= 0.5).mean()):.2f} of {len(idx)}")


if __name__ == "__main__":
    main()
