"""Per-type precision/recall of findings against a labelled set (offline evaluation helper).

Works on plain Python rows (a labelled set is small and collected on purpose, like any evaluation).
A gold entity counts as found when a finding of the same type overlaps it; a finding counts as correct
when it overlaps a gold entity of its type. A hard negative is intact when no finding overlaps it and
its text is still in the masked output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Scores:
    """Counts per type plus the hard-negative and residual figures."""

    tp_gold: Counter[str] = field(default_factory=Counter)
    gold: Counter[str] = field(default_factory=Counter)
    tp_found: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    negatives: int = 0
    negatives_intact: int = 0
    residual_values: int = 0
    false_positives: list[tuple[str, str]] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)

    def recall(self, t: str) -> float:
        return self.tp_gold[t] / self.gold[t] if self.gold[t] else 1.0

    def precision(self, t: str) -> float:
        return self.tp_found[t] / self.found[t] if self.found[t] else 1.0

    @property
    def negatives_intact_rate(self) -> float:
        return self.negatives_intact / self.negatives if self.negatives else 1.0

    def table(self) -> str:
        lines = [f"{'type':16} {'gold':>5} {'found':>5} {'recall':>7} {'precision':>9}"]
        for t in sorted(set(self.gold) | set(self.found)):
            lines.append(
                f"{t:16} {self.gold[t]:5d} {self.found[t]:5d} {self.recall(t):7.3f} {self.precision(t):9.3f}"
            )
        lines.append(f"hard negatives intact: {self.negatives_intact}/{self.negatives}")
        lines.append(f"injected values still present after masking: {self.residual_values}")
        return "\n".join(lines)


def _overlaps(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return int(a["start"]) < int(b["end"]) and int(b["start"]) < int(a["end"])


def score(
    gold_docs: Iterable[Any],
    findings_by_doc: Mapping[str, Sequence[Mapping[str, Any]]],
    masked_by_doc: Mapping[str, str],
    types: Iterable[str] | None = None,
) -> Scores:
    """Score findings (``type``, ``start``, ``end`` dicts per doc id) and masked texts against
    :class:`dq_engine.pii.synth.LabelledDoc`-like gold documents."""
    wanted = set(types) if types is not None else None
    s = Scores()
    for doc in gold_docs:
        found = [f for f in findings_by_doc.get(doc.id, []) if wanted is None or f["type"] in wanted]
        gold = [e for e in doc.entities if wanted is None or e["type"] in wanted]
        masked = masked_by_doc.get(doc.id, "")
        for e in gold:
            s.gold[e["type"]] += 1
            if any(f["type"] == e["type"] and _overlaps(f, e) for f in found):
                s.tp_gold[e["type"]] += 1
            else:
                s.misses.append((e["type"], doc.id))
            s.residual_values += e["value"] in masked
        for f in found:
            s.found[f["type"]] += 1
            if any(f["type"] == e["type"] and _overlaps(f, e) for e in gold):
                s.tp_found[f["type"]] += 1
            else:
                s.false_positives.append((f["type"], doc.id))
        for n in doc.negatives:
            s.negatives += 1
            if not any(_overlaps(f, n) for f in found) and n["value"] in masked:
                s.negatives_intact += 1
    return s
